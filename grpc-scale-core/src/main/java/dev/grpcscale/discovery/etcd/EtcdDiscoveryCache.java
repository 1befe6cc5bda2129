package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.internal.VersionedListener;
import dev.grpcscale.metrics.LatencyTally;

/**
 * The discovery side of {@link EtcdServiceRegistry}: a local cache of the services this client reads, each
 * filled by a paginated range read of {@code <namespace>/services/<service>/} and kept current by a watch on
 * that prefix that starts at the read's revision + 1.
 *
 * <p><b>Which services.</b> A service is loaded and watched from the first {@link #getInstances},
 * {@link #getAllInstances} or {@link #watch} of it. It is dropped (watch closed, instances forgotten) once it
 * has no watcher and was not read for {@code idleTimeout}; a sweep every half of {@code idleTimeout} checks.
 * So memory and wake-ups grow with the services the client uses, not with the namespace.
 * {@link #getServiceNames()} lists the namespace with a keys-only paginated read and holds nothing.
 *
 * <p><b>Reads.</b> A load reads pages of at most {@code pageSize} keys, each continuing after the last key of
 * the one before, all at the revision of the first page, so the result is one consistent snapshot. A page
 * larger than the client's inbound message limit is read again in halves, down to one key; a single key
 * whose value is still too large is skipped with a warning. Values above {@link #MAX_VALUE_SIZE} and values
 * that are not a valid instance (see {@link EtcdInstanceCodec}) are skipped with a warning naming the key,
 * once per key until it is fixed or deleted, and at most {@value #WARNINGS_PER_WINDOW} warnings per 10 s.
 *
 * <p><b>Failures.</b> On any watch failure (compaction included, and etcd's "no leader" when the member the
 * client talks to is cut off from its peers: watches require a leader) or completion, that service is
 * rebuilt from a fresh read and a new watch starts from that read's revision + 1, retried with backoff while
 * etcd is unreachable. A service's instances are replaced only once the read succeeded, so they are never
 * emptied nor half-filled in between, and watchers are called only when the UP list changed.
 *
 * <p>Locking: each service's state is guarded by its own lock, never held while calling jetcd, because
 * jetcd calls {@code Watch.Listener#onError} and {@code onCompleted} while holding its own lock; those two
 * callbacks only hand work to the scheduler. Watch listeners are called outside the lock.
 */
final class EtcdDiscoveryCache implements AutoCloseable {

	/** Largest registration value read: 64 KiB. Larger values are skipped with a warning. */
	static final int MAX_VALUE_SIZE = 64 * 1024;

	/** Default number of keys per page of a load. */
	static final int DEFAULT_PAGE_SIZE = 1000;

	private static final int WARNINGS_PER_WINDOW = 20;

	private static final long WARNING_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);

	private static final Logger logger = LoggerFactory.getLogger(EtcdDiscoveryCache.class);

	private static final Comparator<ServiceInstance> BY_ID = Comparator.comparing(ServiceInstance::instanceId);

	private static final ByteSequence NUL = ByteSequence.from(new byte[] { 0 });

	private final Client client;

	private final EtcdKeys keys;

	private final Duration requestTimeout;

	private final Duration idleTimeout;

	private final int pageSize;

	private final ScheduledExecutorService scheduler;

	private final RetryPolicy<Object> retryPolicy;

	private final EtcdConnectionState state;

	private final LongSupplier nanoTime;

	/** The services held, each with its own watch. */
	private final Map<String, ServiceCache> services = new ConcurrentHashMap<>();

	/** Keys warned about, so each is warned about once until it is fixed or deleted. */
	private final Set<String> warnedKeys = ConcurrentHashMap.newKeySet();

	private final AtomicLong version = new AtomicLong();

	private final Object sweepLock = new Object();

	/** Guarded by {@link #sweepLock}. */
	private @Nullable ScheduledFuture<?> sweep;

	/** Guarded by {@link #sweepLock}. */
	private boolean closed;

	private final Object warningLock = new Object();

	/** Guarded by {@link #warningLock}: start of the current warning window, warnings in it, and skipped ones. */
	private long warningWindowStart;

	private int warningsInWindow;

	private int suppressedWarnings;

	private final AtomicInteger resyncs = new AtomicInteger();

	/** From a watch response's arrival to its list handed to every watcher. */
	private final LatencyTally watchLag = new LatencyTally();

	EtcdDiscoveryCache(Client client, EtcdKeys keys, Duration requestTimeout, Duration idleTimeout, int pageSize,
			ScheduledExecutorService scheduler, RetryPolicy<Object> retryPolicy, EtcdConnectionState state) {
		this.client = client;
		this.keys = keys;
		this.requestTimeout = requestTimeout;
		this.idleTimeout = idleTimeout;
		this.pageSize = pageSize;
		this.scheduler = scheduler;
		this.retryPolicy = retryPolicy;
		this.state = state;
		this.nanoTime = System::nanoTime;
		this.warningWindowStart = this.nanoTime.getAsLong();
	}

	List<ServiceInstance> getInstances(String serviceName) {
		return read(serviceName).up();
	}

	List<ServiceInstance> getAllInstances(String serviceName) {
		return read(serviceName).all();
	}

	private Snapshot read(String serviceName) {
		ServiceCache service = acquire(serviceName);
		if (service == null) {
			return Snapshot.EMPTY;
		}
		service.touch();
		service.awaitFirstLoad();
		return service.snapshot;
	}

	/**
	 * The names of the services with at least one key in the namespace, from a keys-only paginated read; the
	 * held services when etcd does not answer within {@code requestTimeout}.
	 */
	Set<String> getServiceNames() {
		Set<String> names = new TreeSet<>();
		try {
			readPages(this.keys.servicesPrefix(), true, (kv) -> {
				String[] parsed = this.keys.parse(EtcdKeys.text(kv.getKey()));
				if (parsed != null) {
					names.add(parsed[0]);
				}
			});
			this.state.succeeded();
		}
		catch (RuntimeException ex) {
			this.state.failed(ex);
			logger.debug("etcd listing of service names failed; answering with the services held", ex);
			this.services.forEach((name, service) -> {
				if (!service.snapshot.all().isEmpty()) {
					names.add(name);
				}
			});
		}
		return Set.copyOf(names);
	}

	/** Names of the services held (loaded and watched) now. */
	Set<String> heldServiceNames() {
		return Set.copyOf(new TreeSet<>(this.services.keySet()));
	}

	/** UP instance counts of the services held, by name. */
	Map<String, Integer> instanceCounts() {
		Map<String, Integer> counts = new TreeMap<>();
		this.services.forEach((name, service) -> {
			if (!service.snapshot.all().isEmpty()) {
				counts.put(name, service.snapshot.up().size());
			}
		});
		return counts;
	}

	/** Number of services held whose watch is open now. */
	int openWatchCount() {
		int count = 0;
		for (ServiceCache service : this.services.values()) {
			if (service.hasOpenWatch()) {
				count++;
			}
		}
		return count;
	}

	int instanceCount() {
		int count = 0;
		for (ServiceCache service : this.services.values()) {
			count += service.snapshot.all().size();
		}
		return count;
	}

	int serviceCount() {
		int count = 0;
		for (ServiceCache service : this.services.values()) {
			if (!service.snapshot.all().isEmpty()) {
				count++;
			}
		}
		return count;
	}

	/** Highest revision reflected in any held service. */
	long revision() {
		long revision = 0;
		for (ServiceCache service : this.services.values()) {
			revision = Math.max(revision, service.revision());
		}
		return revision;
	}

	/** Number of completed rebuilds from a fresh read, first loads included. */
	/** The time from a watch response's arrival to its new list handed to every watcher. */
	LatencyTally watchLag() {
		return this.watchLag;
	}

	int resyncCount() {
		return this.resyncs.get();
	}

	Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
		VersionedListener watcher = new VersionedListener(logger, serviceName, listener, true);
		while (true) {
			ServiceCache service = acquire(serviceName);
			if (service == null) {
				throw new IllegalStateException("EtcdServiceRegistry is closed");
			}
			if (service.addWatcher(watcher)) {
				return () -> {
					watcher.cancel();
					service.removeWatcher(watcher);
				};
			}
			// dropped as idle between acquire and addWatcher: take the new one
		}
	}

	/** The service's cache, created and started on first use; {@code null} once closed. */
	private @Nullable ServiceCache acquire(String serviceName) {
		ServiceCache service = this.services.get(serviceName);
		if (service != null && !service.isClosed()) {
			return service;
		}
		synchronized (this.sweepLock) {
			if (this.closed) {
				return null;
			}
			if (this.sweep == null) {
				long period = Math.max(this.idleTimeout.toNanos() / 2, TimeUnit.MILLISECONDS.toNanos(100));
				this.sweep = this.scheduler.scheduleWithFixedDelay(this::dropIdle, period, period, TimeUnit.NANOSECONDS);
			}
			service = this.services.compute(serviceName,
					(name, old) -> (old == null || old.isClosed()) ? new ServiceCache(name) : old);
		}
		service.start();
		return service;
	}

	/** Drops the services without watchers not read for {@code idleTimeout}. */
	private void dropIdle() {
		long now = this.nanoTime.getAsLong();
		for (ServiceCache service : this.services.values()) {
			if (service.closeIfIdle(now)) {
				this.services.remove(service.name, service);
				logger.debug("etcd discovery stopped watching '{}': no watcher and not read for {}", service.name,
						this.idleTimeout);
			}
		}
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
			GetOption.Builder option = GetOption.builder()
				.withPrefix(prefix)
				.withLimit(limit)
				.withRevision(revision)
				.withKeysOnly(keysOnly);
			GetResponse page;
			try {
				page = EtcdRequests.await(this.client.getKVClient().get(from, option.build()), this.requestTimeout, what);
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
				GetResponse keyOnly = EtcdRequests.await(this.client.getKVClient()
					.get(from, GetOption.builder().withPrefix(prefix).withLimit(1).withRevision(revision)
						.withKeysOnly(true).build()), this.requestTimeout, what);
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

	/** Decodes one key's value, or warns and returns {@code null} when it is not a valid instance. */
	private @Nullable ServiceInstance decode(String key, KeyValue kv, SharedValues shared) {
		String[] names = this.keys.parse(key);
		if (names == null) {
			warn(key, "the key does not follow <namespace>/services/<service>/<instanceId>");
			return null;
		}
		if (kv.getValue().size() > MAX_VALUE_SIZE) {
			warn(key, "the value has " + kv.getValue().size() + " bytes (expected: at most " + MAX_VALUE_SIZE + ")");
			return null;
		}
		try {
			ServiceInstance instance = EtcdInstanceCodec.decode(shared.share(names[0]), names[1],
					kv.getValue().getBytes(), shared::share);
			this.warnedKeys.remove(key);
			return instance;
		}
		catch (IllegalArgumentException ex) {
			warn(key, ex.getMessage());
			return null;
		}
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

	@Override
	public void close() {
		ScheduledFuture<?> pendingSweep;
		synchronized (this.sweepLock) {
			if (this.closed) {
				return;
			}
			this.closed = true;
			pendingSweep = this.sweep;
			this.sweep = null;
		}
		if (pendingSweep != null) {
			pendingSweep.cancel(false);
		}
		this.services.values().forEach(ServiceCache::close);
		this.services.clear();
	}

	/** One service: its snapshot, watchers, watch and rebuilds. */
	private final class ServiceCache {

		private final String name;

		private final ByteSequence prefix;

		private final Object lock = new Object();

		private final List<VersionedListener> watchers = new CopyOnWriteArrayList<>();

		private final CompletableFuture<Void> firstLoad = new CompletableFuture<>();

		/** Replaced under {@link #lock}, read without it. */
		private volatile Snapshot snapshot = Snapshot.EMPTY;

		private volatile long lastReadNanos;

		/** Revision of the last read: events at or below it are in the snapshot. Guarded by {@link #lock}. */
		private long readRevision;

		/** Highest revision reflected in the snapshot. Guarded by {@link #lock}. */
		private long revision;

		/** Identifies the current watch; callbacks of older watches are ignored. Guarded by {@link #lock}. */
		private long generation;

		private Watch.@Nullable Watcher watcher;

		private @Nullable CompletableFuture<Void> resync;

		private boolean started;

		private long startedAtNanos;

		private boolean closed;

		ServiceCache(String name) {
			this.name = name;
			this.prefix = EtcdKeys.bytes(EtcdKeys.text(EtcdDiscoveryCache.this.keys.servicesPrefix()) + name + "/");
			this.lastReadNanos = EtcdDiscoveryCache.this.nanoTime.getAsLong();
		}

		void touch() {
			this.lastReadNanos = EtcdDiscoveryCache.this.nanoTime.getAsLong();
		}

		long revision() {
			synchronized (this.lock) {
				return this.revision;
			}
		}

		boolean isClosed() {
			synchronized (this.lock) {
				return this.closed;
			}
		}

		boolean hasOpenWatch() {
			synchronized (this.lock) {
				return this.watcher != null;
			}
		}

		void start() {
			synchronized (this.lock) {
				if (this.started || this.closed) {
					return;
				}
				this.started = true;
				this.startedAtNanos = EtcdDiscoveryCache.this.nanoTime.getAsLong();
			}
			requestResync(0, null);
		}

		/** Adds a watcher, unless this service was dropped; delivers the current list once loaded. */
		boolean addWatcher(VersionedListener watcher) {
			synchronized (this.lock) {
				if (this.closed) {
					return false;
				}
				this.watchers.add(watcher);
			}
			// Either this thread sees the first load done, or the loader sees this watcher: both may deliver,
			// the version check makes the second a no-op.
			if (this.firstLoad.isDone()) {
				Snapshot current = this.snapshot;
				watcher.deliver(current.version(), current.up());
			}
			return true;
		}

		void removeWatcher(VersionedListener watcher) {
			synchronized (this.lock) {
				this.watchers.remove(watcher);
				touch();
			}
		}

		/** Closes this service when it has no watcher and was not read for the idle timeout. */
		boolean closeIfIdle(long now) {
			Closing closing;
			synchronized (this.lock) {
				if (this.closed || !this.watchers.isEmpty()
						|| now - this.lastReadNanos < EtcdDiscoveryCache.this.idleTimeout.toNanos()) {
					return false;
				}
				// marked closed together with the check, so no watcher can be added in between
				closing = markClosed();
			}
			release(closing);
			return true;
		}

		/**
		 * Waits for the first load, at most {@code requestTimeout} after this service started, so a registry
		 * whose etcd is down answers (with nothing) instead of blocking every read.
		 */
		void awaitFirstLoad() {
			if (this.firstLoad.isDone()) {
				return;
			}
			long waitNanos;
			synchronized (this.lock) {
				waitNanos = this.startedAtNanos + EtcdDiscoveryCache.this.requestTimeout.toNanos()
						- EtcdDiscoveryCache.this.nanoTime.getAsLong();
			}
			if (waitNanos <= 0) {
				return;
			}
			try {
				this.firstLoad.get(waitNanos, TimeUnit.NANOSECONDS);
			}
			catch (TimeoutException ex) {
				logger.debug("No etcd answer for '{}' within {}: serving nothing until etcd answers", this.name,
						EtcdDiscoveryCache.this.requestTimeout);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			catch (ExecutionException ex) {
				// firstLoad only completes normally
			}
		}

		/**
		 * Asks for a rebuild unless one is running or the failure came from a watch that was replaced already.
		 * Called from jetcd threads (possibly under jetcd's lock): never blocks.
		 */
		void requestResync(long fromGeneration, @Nullable Throwable cause) {
			synchronized (this.lock) {
				if (this.closed || fromGeneration != this.generation || this.resync != null) {
					return;
				}
				this.generation++;
				if (cause != null) {
					EtcdDiscoveryCache.this.state.failed(cause);
					if (EtcdRequests.unwrap(cause) instanceof CompactedException) {
						logger.info("etcd watch on '{}' fell behind a compaction; rebuilding from a fresh read",
								EtcdKeys.text(this.prefix));
					}
					else {
						logger.warn("etcd watch on '{}' failed ({}); rebuilding from a fresh read",
								EtcdKeys.text(this.prefix), EtcdRequests.unwrap(cause).toString());
					}
				}
				long resyncGeneration = this.generation;
				CompletableFuture<Void> future = Failsafe.with(EtcdDiscoveryCache.this.retryPolicy)
					.with(EtcdDiscoveryCache.this.scheduler)
					.runAsync(() -> resyncOnce(resyncGeneration));
				this.resync = future;
				future.whenComplete((result, failure) -> {
					synchronized (this.lock) {
						if (this.resync == future) {
							this.resync = null;
						}
					}
				});
			}
		}

		private void resyncOnce(long resyncGeneration) {
			Watch.Watcher previous;
			synchronized (this.lock) {
				if (this.closed || resyncGeneration != this.generation) {
					return;
				}
				previous = this.watcher;
				this.watcher = null;
			}
			if (previous != null) {
				previous.close();
			}
			List<KeyValue> kvs = new ArrayList<>();
			long readAt;
			try {
				readAt = readPages(this.prefix, false, kvs::add);
			}
			catch (RuntimeException ex) {
				EtcdDiscoveryCache.this.state.failed(ex);
				logger.debug("etcd read of '{}' failed; retrying with backoff", EtcdKeys.text(this.prefix), ex);
				throw ex;
			}
			EtcdDiscoveryCache.this.state.succeeded();
			List<ServiceInstance> fresh = new ArrayList<>();
			SharedValues shared = new SharedValues();
			Set<String> seenKeys = new HashSet<>();
			for (KeyValue kv : kvs) {
				String key = EtcdKeys.text(kv.getKey());
				seenKeys.add(key);
				ServiceInstance instance = decode(key, kv, shared);
				if (instance != null && instance.serviceName().equals(this.name)) {
					fresh.add(instance);
				}
			}
			forgetWarnings((key) -> !seenKeys.contains(key));
			Snapshot published;
			synchronized (this.lock) {
				if (this.closed || resyncGeneration != this.generation) {
					return;
				}
				published = replace(fresh);
				this.readRevision = readAt;
				this.revision = readAt;
				// From here a failure of the watch about to start must start a new rebuild, even before this
				// method returns.
				this.resync = null;
			}
			Watch.Watcher started = EtcdDiscoveryCache.this.client.getWatchClient()
				.watch(this.prefix,
						WatchOption.builder()
							.isPrefix(true)
							.withRevision(readAt + 1)
							.withProgressNotify(true)
							.withRequireLeader(true)
							.build(),
						new GenerationListener(this, resyncGeneration));
			boolean stale;
			synchronized (this.lock) {
				stale = this.closed || resyncGeneration != this.generation;
				if (!stale) {
					this.watcher = started;
				}
			}
			if (stale) {
				started.close();
			}
			EtcdDiscoveryCache.this.resyncs.incrementAndGet();
			if (published != null) {
				publish(published);
			}
			if (!this.firstLoad.isDone()) {
				this.firstLoad.complete(null);
				// watchers that subscribed before the first load get their first list now, even an empty one
				Snapshot current = this.snapshot;
				this.watchers.forEach((w) -> w.deliver(current.version(), current.up()));
			}
			logger.debug("etcd discovery cache of '{}' loaded at revision {} ({} keys), watching from {}", this.name,
					readAt, kvs.size(), readAt + 1);
		}

		void onWatchResponse(long watchGeneration, WatchResponse response) {
			long arrived = System.nanoTime();
			EtcdDiscoveryCache.this.state.succeeded();
			Snapshot published = null;
			synchronized (this.lock) {
				if (this.closed || watchGeneration != this.generation || response.getEvents().isEmpty()) {
					return;
				}
				Map<String, ServiceInstance> instances = null;
				SharedValues shared = new SharedValues();
				for (WatchEvent event : response.getEvents()) {
					KeyValue kv = event.getKeyValue();
					long modRevision = kv.getModRevision();
					if (modRevision <= this.readRevision) {
						continue;
					}
					this.revision = Math.max(this.revision, modRevision);
					if (instances == null) {
						instances = cachedById(shared);
					}
					String key = EtcdKeys.text(kv.getKey());
					boolean put = event.getEventType() == WatchEvent.EventType.PUT;
					String[] names = EtcdDiscoveryCache.this.keys.parse(key);
					if (names != null) {
						instances.remove(names[1]);
					}
					if (!put) {
						EtcdDiscoveryCache.this.warnedKeys.remove(key);
						continue;
					}
					ServiceInstance instance = decode(key, kv, shared);
					if (instance != null && instance.serviceName().equals(this.name)) {
						instances.put(instance.instanceId(), instance);
					}
				}
				if (instances != null) {
					published = replace(instances.values());
				}
			}
			if (published != null) {
				publish(published);
				EtcdDiscoveryCache.this.watchLag.record(System.nanoTime() - arrived);
			}
		}

		/** The cached instances by id; their values go into {@code shared} for new ones to reuse. */
		private Map<String, ServiceInstance> cachedById(SharedValues shared) {
			Map<String, ServiceInstance> instances = new HashMap<>();
			for (ServiceInstance instance : this.snapshot.all()) {
				instances.put(instance.instanceId(), instance);
				shared.add(instance);
			}
			return instances;
		}

		/**
		 * Replaces the snapshot when the instances differ from the cached ones; called under {@link #lock}.
		 * @return the new snapshot, or {@code null} when nothing changed
		 */
		private @Nullable Snapshot replace(Collection<ServiceInstance> now) {
			List<ServiceInstance> all = now.stream().sorted(BY_ID).toList();
			if (all.equals(this.snapshot.all())) {
				return null;
			}
			List<ServiceInstance> up = all.stream().filter(ServiceInstance::isUp).toList();
			// one list when every instance is up
			Snapshot snapshot = new Snapshot(EtcdDiscoveryCache.this.version.incrementAndGet(), all,
					(up.size() == all.size()) ? all : up);
			this.snapshot = snapshot;
			return snapshot;
		}

		private void publish(Snapshot snapshot) {
			for (VersionedListener w : this.watchers) {
				w.deliver(snapshot.version(), snapshot.up());
			}
		}

		void close() {
			Closing closing;
			synchronized (this.lock) {
				if (this.closed) {
					return;
				}
				closing = markClosed();
			}
			release(closing);
		}

		/** Marks this service closed; called under {@link #lock}. */
		private Closing markClosed() {
			this.closed = true;
			this.generation++;
			Closing closing = new Closing(this.watcher, this.resync);
			this.watcher = null;
			this.resync = null;
			return closing;
		}

		/** Stops the watch and the rebuild of a service marked closed; called without {@link #lock}. */
		private void release(Closing closing) {
			if (closing.resync() != null) {
				closing.resync().cancel(false);
			}
			if (closing.watcher() != null) {
				closing.watcher().close();
			}
			this.watchers.forEach(VersionedListener::cancel);
			this.watchers.clear();
			this.firstLoad.complete(null);
			forgetWarnings((key) -> true);
		}

		/** Forgets the warned keys of this service that {@code forget} accepts. */
		private void forgetWarnings(Predicate<String> forget) {
			String prefixText = EtcdKeys.text(this.prefix);
			EtcdDiscoveryCache.this.warnedKeys.removeIf((key) -> key.startsWith(prefixText) && forget.test(key));
		}

	}

	/** Receives one watch's callbacks; tagged with the generation that started it. */
	private static final class GenerationListener implements Watch.Listener {

		private final ServiceCache service;

		private final long watchGeneration;

		GenerationListener(ServiceCache service, long watchGeneration) {
			this.service = service;
			this.watchGeneration = watchGeneration;
		}

		@Override
		public void onNext(WatchResponse response) {
			this.service.onWatchResponse(this.watchGeneration, response);
		}

		@Override
		public void onError(Throwable throwable) {
			this.service.requestResync(this.watchGeneration, throwable);
		}

		@Override
		public void onCompleted() {
			this.service.requestResync(this.watchGeneration, new IllegalStateException("watch completed"));
		}

	}

	private record Closing(Watch.@Nullable Watcher watcher, @Nullable CompletableFuture<Void> resync) {
	}

	private record Snapshot(long version, List<ServiceInstance> all, List<ServiceInstance> up) {

		static final Snapshot EMPTY = new Snapshot(0, List.of(), List.of());

	}

	/**
	 * Equal values among the instances of one pass (a full read, or a batch of watch events together with the
	 * cached instances of the service), so that instances hold one copy of each: the service name, and the
	 * metadata maps that the instances of a service mostly have in common. Dropped after the pass, so it
	 * keeps nothing alive.
	 */
	private static final class SharedValues {

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
