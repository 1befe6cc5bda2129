package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import dev.failsafe.RetryPolicy;
import io.etcd.jetcd.Client;
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
 * that prefix that starts at the read's revision + 1. Each service is an {@link EtcdServiceEntry}; the reads,
 * watches and decoding are the {@link EtcdServiceLoader}'s; this class holds the services, starts and drops
 * them, and answers for all of them.
 *
 * <p><b>Which services.</b> A service is loaded and watched from the first {@link #getInstances},
 * {@link #getAllInstances} or {@link #watch} of it. It is dropped (watch closed, instances forgotten) once it
 * has no watcher and was not read for {@code idleTimeout}; a sweep every half of {@code idleTimeout} checks.
 * So memory and wake-ups grow with the services the client uses, not with the namespace.
 * {@link #getServiceNames()} lists the namespace with a keys-only paginated read and holds nothing.
 *
 * <p><b>Reads and failures.</b> A load is a paginated read at one revision, so one consistent snapshot;
 * invalid or oversized values are skipped with warnings ({@link EtcdServiceLoader}). On any watch failure
 * (compaction included, and etcd's "no leader" when the member the client talks to is cut off from its
 * peers: watches require a leader) or completion, that service is rebuilt from a fresh read and a new watch
 * starts from that read's revision + 1, retried with backoff while etcd is unreachable; its instances are
 * replaced only once the read succeeded, so they are never emptied nor half-filled in between
 * ({@link EtcdServiceEntry}).
 */
final class EtcdDiscoveryCache implements AutoCloseable {

	/** Largest registration value read: 64 KiB. Larger values are skipped with a warning. */
	static final int MAX_VALUE_SIZE = 64 * 1024;

	/** Default number of keys per page of a load. */
	static final int DEFAULT_PAGE_SIZE = 1000;

	private static final Logger logger = LoggerFactory.getLogger(EtcdDiscoveryCache.class);

	private final Duration idleTimeout;

	private final ScheduledExecutorService scheduler;

	private final EtcdConnectionState state;

	private final LongSupplier nanoTime;

	private final EtcdServiceLoader loader;

	/** What every service entry shares. */
	private final EtcdServiceEntry.Shared shared;

	/** The services held, each with its own watch. */
	private final Map<String, EtcdServiceEntry> services = new ConcurrentHashMap<>();

	private final Object sweepLock = new Object();

	/** Guarded by {@link #sweepLock}. */
	private @Nullable ScheduledFuture<?> sweep;

	/** Guarded by {@link #sweepLock}. */
	private boolean closed;

	private final AtomicInteger resyncs = new AtomicInteger();

	/** From a watch response's arrival to its list handed to every watcher. */
	private final LatencyTally watchLag = new LatencyTally();

	EtcdDiscoveryCache(Client client, EtcdKeys keys, Duration requestTimeout, Duration idleTimeout, int pageSize,
			ScheduledExecutorService scheduler, RetryPolicy<Object> retryPolicy, EtcdConnectionState state) {
		this.idleTimeout = idleTimeout;
		this.scheduler = scheduler;
		this.state = state;
		this.nanoTime = System::nanoTime;
		this.loader = new EtcdServiceLoader(client, keys, requestTimeout, pageSize, this.nanoTime);
		this.shared = new EtcdServiceEntry.Shared(this.loader, keys, requestTimeout, idleTimeout, scheduler,
				retryPolicy, state, this.nanoTime, new AtomicLong(), this.resyncs, this.watchLag);
	}

	List<ServiceInstance> getInstances(String serviceName) {
		return read(serviceName).up();
	}

	List<ServiceInstance> getAllInstances(String serviceName) {
		return read(serviceName).all();
	}

	private EtcdServiceEntry.Snapshot read(String serviceName) {
		EtcdServiceEntry service = acquire(serviceName);
		if (service == null) {
			return EtcdServiceEntry.Snapshot.EMPTY;
		}
		service.touch();
		service.awaitFirstLoad();
		return service.snapshot();
	}

	/**
	 * The names of the services with at least one key in the namespace, from a keys-only paginated read; the
	 * held services when etcd does not answer within {@code requestTimeout}.
	 */
	Set<String> getServiceNames() {
		Set<String> names;
		try {
			names = this.loader.serviceNames();
			this.state.succeeded();
		}
		catch (RuntimeException ex) {
			this.state.failed(ex);
			logger.debug("etcd listing of service names failed; answering with the services held", ex);
			names = new TreeSet<>();
			for (EtcdServiceEntry service : this.services.values()) {
				if (service.hasInstances()) {
					names.add(service.name());
				}
			}
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
			EtcdServiceEntry.Snapshot snapshot = service.snapshot();
			if (!snapshot.all().isEmpty()) {
				counts.put(name, snapshot.up().size());
			}
		});
		return counts;
	}

	/** Number of services held whose watch is open now. */
	int openWatchCount() {
		int count = 0;
		for (EtcdServiceEntry service : this.services.values()) {
			if (service.hasOpenWatch()) {
				count++;
			}
		}
		return count;
	}

	int instanceCount() {
		int count = 0;
		for (EtcdServiceEntry service : this.services.values()) {
			count += service.snapshot().all().size();
		}
		return count;
	}

	int serviceCount() {
		int count = 0;
		for (EtcdServiceEntry service : this.services.values()) {
			if (service.hasInstances()) {
				count++;
			}
		}
		return count;
	}

	/** Highest revision reflected in any held service. */
	long revision() {
		long revision = 0;
		for (EtcdServiceEntry service : this.services.values()) {
			revision = Math.max(revision, service.revision());
		}
		return revision;
	}

	/** The time from a watch response's arrival to its new list handed to every watcher. */
	LatencyTally watchLag() {
		return this.watchLag;
	}

	/** Number of completed rebuilds from a fresh read, first loads included. */
	int resyncCount() {
		return this.resyncs.get();
	}

	Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
		VersionedListener watcher = new VersionedListener(logger, serviceName, listener, true);
		while (true) {
			EtcdServiceEntry service = acquire(serviceName);
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
	private @Nullable EtcdServiceEntry acquire(String serviceName) {
		EtcdServiceEntry service = this.services.get(serviceName);
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
					(name, old) -> (old == null || old.isClosed()) ? new EtcdServiceEntry(name, this.shared) : old);
		}
		service.start();
		return service;
	}

	/** Drops the services without watchers not read for {@code idleTimeout}. */
	private void dropIdle() {
		long now = this.nanoTime.getAsLong();
		for (EtcdServiceEntry service : this.services.values()) {
			if (service.closeIfIdle(now)) {
				this.services.remove(service.name(), service);
				logger.debug("etcd discovery stopped watching '{}': no watcher and not read for {}", service.name(),
						this.idleTimeout);
			}
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
		this.services.values().forEach(EtcdServiceEntry::close);
		this.services.clear();
	}

}
