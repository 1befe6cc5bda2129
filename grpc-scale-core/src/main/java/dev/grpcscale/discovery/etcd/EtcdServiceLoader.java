package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.ServiceInstance;

/**
 * The etcd side of {@link EtcdDiscoveryCache}: loads a service's instances with a paginated range read at one
 * revision, opens the watch that continues from that revision + 1, lists the service names with a keys-only
 * read, and decodes registration values, warning about the invalid ones.
 *
 * <p><b>Reads.</b> A read takes pages of at most {@code pageSize} keys, each continuing after the last key of
 * the one before, all at the revision of the first page, so the result is one consistent snapshot. A page
 * larger than the client's inbound message limit is read again in halves, down to one key; a single key
 * whose value is still too large is skipped with a warning.
 *
 * <p><b>Warnings.</b> Values above {@link EtcdDiscoveryCache#MAX_VALUE_SIZE} and values that are not a valid
 * instance (see {@link EtcdInstanceCodec}) are skipped with a warning naming the key, once per key until it
 * is fixed or deleted, and at most {@value #WARNINGS_PER_WINDOW} warnings per 10 s.
 *
 * <p>Thread-safe; it holds no service state, only the keys warned about.
 */
final class EtcdServiceLoader {

	private static final int WARNINGS_PER_WINDOW = 20;

	private static final long WARNING_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);

	/** Logs under the cache's name, where etcd discovery's warnings have always been logged. */
	private static final Logger logger = LoggerFactory.getLogger(EtcdDiscoveryCache.class);

	private static final ByteSequence NUL = ByteSequence.from(new byte[] { 0 });

	private final Client client;

	private final EtcdKeys keys;

	private final Duration requestTimeout;

	private final int pageSize;

	private final LongSupplier nanoTime;

	/** Keys warned about, so each is warned about once until it is fixed or deleted. */
	private final Set<String> warnedKeys = ConcurrentHashMap.newKeySet();

	private final Object warningLock = new Object();

	/** Guarded by {@link #warningLock}: start of the current warning window, warnings in it, and skipped ones. */
	private long warningWindowStart;

	private int warningsInWindow;

	private int suppressedWarnings;

	EtcdServiceLoader(Client client, EtcdKeys keys, Duration requestTimeout, int pageSize, LongSupplier nanoTime) {
		this.client = client;
		this.keys = keys;
		this.requestTimeout = requestTimeout;
		this.pageSize = pageSize;
		this.nanoTime = nanoTime;
		this.warningWindowStart = nanoTime.getAsLong();
	}

	/** The prefix of a service's keys, {@code <namespace>/services/<service>/}. */
	ByteSequence prefix(String serviceName) {
		return EtcdKeys.bytes(EtcdKeys.text(this.keys.servicesPrefix()) + serviceName + "/");
	}

	/**
	 * The names of the services with at least one key in the namespace, from a keys-only paginated read.
	 * @throws RuntimeException if etcd did not answer
	 */
	Set<String> serviceNames() {
		Set<String> names = new TreeSet<>();
		readPages(this.keys.servicesPrefix(), true, (kv) -> {
			String[] parsed = this.keys.parse(EtcdKeys.text(kv.getKey()));
			if (parsed != null) {
				names.add(parsed[0]);
			}
		});
		return names;
	}

	/**
	 * Reads every instance of a service at one revision, and forgets the warnings about its keys that are
	 * gone.
	 * @param serviceName the service
	 * @param prefix its {@link #prefix}
	 * @return the instances and the revision read at
	 * @throws RuntimeException if a page fails (the load is then to be retried as a whole)
	 */
	Load load(String serviceName, ByteSequence prefix) {
		List<KeyValue> kvs = new ArrayList<>();
		long revision = readPages(prefix, false, kvs::add);
		List<ServiceInstance> instances = new ArrayList<>();
		SharedValues shared = new SharedValues();
		Set<String> seenKeys = new HashSet<>();
		for (KeyValue kv : kvs) {
			String key = EtcdKeys.text(kv.getKey());
			seenKeys.add(key);
			ServiceInstance instance = decode(serviceName, key, kv, shared);
			if (instance != null) {
				instances.add(instance);
			}
		}
		forgetWarnings(prefix, (key) -> !seenKeys.contains(key));
		return new Load(revision, instances, kvs.size());
	}

	/**
	 * Opens the watch of a service's keys from {@code revision} + 1, with progress notifications, requiring
	 * a leader.
	 */
	Watch.Watcher watch(ByteSequence prefix, long revision, Watch.Listener listener) {
		return this.client.getWatchClient()
			.watch(prefix,
					WatchOption.builder()
						.isPrefix(true)
						.withRevision(revision + 1)
						.withProgressNotify(true)
						.withRequireLeader(true)
						.build(),
					listener);
	}

	/**
	 * Reads every key under {@code prefix} in pages at one revision, handing each to {@code consumer} in key
	 * order.
	 * @return the revision read at
	 * @throws RuntimeException if a page fails (the read is then to be retried as a whole)
	 */
	private long readPages(ByteSequence prefix, boolean keysOnly, Consumer<KeyValue> consumer) {
		String what = "read of " + EtcdKeys.text(prefix);
		long revision = 0;
		int limit = this.pageSize;
		ByteSequence from = prefix;
		while (true) {
			GetResponse page;
			try {
				page = get(from, prefix, limit, revision, keysOnly, what);
			}
			catch (RuntimeException ex) {
				if (!tooLarge(ex)) {
					throw ex;
				}
				if (limit > 1) {
					limit = Math.max(1, limit / 2);
					continue;
				}
				// one key alone exceeds the inbound message limit: name it and go past it
				GetResponse keyOnly = get(from, prefix, 1, revision, true, what);
				if (keyOnly.getKvs().isEmpty()) {
					throw ex;
				}
				if (revision == 0) {
					revision = keyOnly.getHeader().getRevision();
				}
				ByteSequence key = keyOnly.getKvs().get(0).getKey();
				warn(EtcdKeys.text(key), "the value is larger than the client's inbound message limit");
				from = key.concat(NUL);
				continue;
			}
			if (revision == 0) {
				revision = page.getHeader().getRevision();
			}
			List<KeyValue> kvs = page.getKvs();
			kvs.forEach(consumer);
			if (!page.isMore() || kvs.isEmpty()) {
				return revision;
			}
			from = kvs.get(kvs.size() - 1).getKey().concat(NUL);
			limit = this.pageSize;
		}
	}

	/** One page: at most {@code limit} keys under {@code prefix} from {@code from}, at {@code revision} (0: now). */
	private GetResponse get(ByteSequence from, ByteSequence prefix, int limit, long revision, boolean keysOnly,
			String what) {
		GetOption option = GetOption.builder()
			.withPrefix(prefix)
			.withLimit(limit)
			.withRevision(revision)
			.withKeysOnly(keysOnly)
			.build();
		return EtcdRequests.await(this.client.getKVClient().get(from, option), this.requestTimeout, what);
	}

	private static boolean tooLarge(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof EtcdException etcd && etcd.getErrorCode() == ErrorCode.RESOURCE_EXHAUSTED) {
				return true;
			}
			if (Status.fromThrowable(cause).getCode() == Status.Code.RESOURCE_EXHAUSTED) {
				return true;
			}
			if (cause.getCause() == cause) {
				break;
			}
		}
		return false;
	}

	/**
	 * Decodes one key's value as an instance of {@code serviceName}, or warns and returns {@code null} when
	 * it is not a valid instance; {@code null} too for a valid instance of another service.
	 */
	@Nullable ServiceInstance decode(String serviceName, String key, KeyValue kv, SharedValues shared) {
		String[] names = this.keys.parse(key);
		if (names == null) {
			warn(key, "the key does not follow <namespace>/services/<service>/<instanceId>");
			return null;
		}
		if (kv.getValue().size() > EtcdDiscoveryCache.MAX_VALUE_SIZE) {
			warn(key, "the value has " + kv.getValue().size() + " bytes (expected: at most "
					+ EtcdDiscoveryCache.MAX_VALUE_SIZE + ")");
			return null;
		}
		ServiceInstance instance;
		try {
			instance = EtcdInstanceCodec.decode(shared.share(names[0]), names[1], kv.getValue().getBytes(),
					shared::share);
		}
		catch (IllegalArgumentException ex) {
			warn(key, ex.getMessage());
			return null;
		}
		this.warnedKeys.remove(key);
		return instance.serviceName().equals(serviceName) ? instance : null;
	}

	/** Forgets the warning about a deleted key, so it is warned about again if it comes back invalid. */
	void deleted(String key) {
		this.warnedKeys.remove(key);
	}

	/** Forgets the warned keys under {@code prefix} that {@code forget} accepts. */
	void forgetWarnings(ByteSequence prefix, Predicate<String> forget) {
		String prefixText = EtcdKeys.text(prefix);
		this.warnedKeys.removeIf((key) -> key.startsWith(prefixText) && forget.test(key));
	}

	/** Warns once per key, and at most {@value #WARNINGS_PER_WINDOW} times per 10 s. */
	private void warn(String key, @Nullable String reason) {
		if (!this.warnedKeys.add(key)) {
			return;
		}
		int suppressed;
		synchronized (this.warningLock) {
			long now = this.nanoTime.getAsLong();
			if (now - this.warningWindowStart >= WARNING_WINDOW_NANOS) {
				this.warningWindowStart = now;
				this.warningsInWindow = 0;
			}
			if (this.warningsInWindow >= WARNINGS_PER_WINDOW) {
				this.suppressedWarnings++;
				return;
			}
			this.warningsInWindow++;
			suppressed = this.suppressedWarnings;
			this.suppressedWarnings = 0;
		}
		if (suppressed > 0) {
			logger.warn("Skipping etcd key '{}': {} ({} more invalid keys skipped without a warning before)", key,
					reason, suppressed);
		}
		else {
			logger.warn("Skipping etcd key '{}': {}", key, reason);
		}
	}

	/**
	 * A service's instances read at one revision.
	 * @param revision the revision read at: watch events at or below it are in {@code instances}
	 * @param instances the valid instances of the service, in key order
	 * @param keys how many keys were read, valid or not
	 */
	record Load(long revision, List<ServiceInstance> instances, int keys) {
	}

	/**
	 * Equal values among the instances of one pass (a full read, or a batch of watch events together with the
	 * cached instances of the service), so that instances hold one copy of each: the service name, and the
	 * metadata maps that the instances of a service mostly have in common. Dropped after the pass, so it
	 * keeps nothing alive.
	 */
	static final class SharedValues {

		private final Map<Object, Object> values = new HashMap<>();

		/** Offers a cached instance's values for decoded instances to share. */
		void add(ServiceInstance instance) {
			share(instance.serviceName());
			share(instance.metadata());
		}

		/** Returns the first value of this pass equal to {@code value}: {@code value} itself if none was. */
		@SuppressWarnings("unchecked") // a String only equals a String, a Map only a Map with equal entries
		<T> T share(T value) {
			return (T) this.values.computeIfAbsent(value, (first) -> first);
		}

	}

}
