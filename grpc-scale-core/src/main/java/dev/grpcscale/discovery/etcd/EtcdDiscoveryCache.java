package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.internal.VersionedListener;

/**
 * The discovery side of {@link EtcdServiceRegistry}: one local cache of every instance under
 * {@code <namespace>/services/}, filled by a range read and kept current by one prefix watch that starts
 * at the read's revision + 1.
 *
 * <p>On any watch failure (compaction included) or completion, the cache is rebuilt from a fresh read and
 * a new watch starts from that read's revision + 1, retried with backoff while etcd is unreachable.
 * The cache is replaced service by service only once the read succeeded, so it is never emptied nor
 * half-filled in between, and watchers are called only for services whose UP list changed.
 *
 * <p>Locking: {@link #lock} guards the cache and is never held while calling jetcd, because jetcd calls
 * {@code Watch.Listener#onError} and {@code onCompleted} while holding its own lock; those two callbacks
 * only hand work to the scheduler. Watch listeners are called outside the lock.
 */
final class EtcdDiscoveryCache implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(EtcdDiscoveryCache.class);

	private static final Comparator<ServiceInstance> BY_ID = Comparator.comparing(ServiceInstance::instanceId);

	private final Client client;

	private final EtcdKeys keys;

	private final Duration requestTimeout;

	private final ScheduledExecutorService scheduler;

	private final RetryPolicy<Object> retryPolicy;

	private final EtcdConnectionState state;

	private final Object lock = new Object();

	/**
	 * The cache: each service's instances as immutable lists, the only place an instance is kept (an etcd key
	 * is found again by parsing it into service name and instance id). Replaced under {@link #lock}, read
	 * without it.
	 */
	private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();

	private final Map<String, List<VersionedListener>> watchers = new ConcurrentHashMap<>();

	/** Keys warned about as malformed, so each is warned about once until it is fixed or deleted. */
	private final Set<String> warnedKeys = ConcurrentHashMap.newKeySet();

	private final CompletableFuture<Void> firstLoad = new CompletableFuture<>();

	/** Guarded by {@link #lock}. */
	private long version;

	/** Revision of the last read: events at or below it are already in the cache. Guarded by {@link #lock}. */
	private long readRevision;

	/** Highest revision reflected in the cache. Guarded by {@link #lock}. */
	private long revision;

	/** Identifies the current watch; callbacks of older watches are ignored. Guarded by {@link #lock}. */
	private long generation;

	private Watch.@Nullable Watcher watcher;

	private @Nullable CompletableFuture<Void> resync;

	/** Written under {@link #lock}; volatile so reads after the first skip the lock. */
	private volatile boolean started;

	private long startedAtNanos;

	private boolean closed;

	private volatile int resyncs;

	EtcdDiscoveryCache(Client client, EtcdKeys keys, Duration requestTimeout, ScheduledExecutorService scheduler,
			RetryPolicy<Object> retryPolicy, EtcdConnectionState state) {
		this.client = client;
		this.keys = keys;
		this.requestTimeout = requestTimeout;
		this.scheduler = scheduler;
		this.retryPolicy = retryPolicy;
		this.state = state;
	}

	List<ServiceInstance> getInstances(String serviceName) {
		awaitFirstLoad();
		return this.snapshots.getOrDefault(serviceName, Snapshot.EMPTY).up();
	}

	List<ServiceInstance> getAllInstances(String serviceName) {
		awaitFirstLoad();
		return this.snapshots.getOrDefault(serviceName, Snapshot.EMPTY).all();
	}

	Set<String> getServiceNames() {
		awaitFirstLoad();
		return Set.copyOf(new TreeSet<>(this.snapshots.keySet()));
	}

	int instanceCount() {
		int count = 0;
		for (Snapshot snapshot : this.snapshots.values()) {
			count += snapshot.all().size();
		}
		return count;
	}

	int serviceCount() {
		return this.snapshots.size();
	}

	long revision() {
		synchronized (this.lock) {
			return this.revision;
		}
	}

	boolean isStarted() {
		synchronized (this.lock) {
			return this.started;
		}
	}

	/** Number of completed rebuilds from a fresh read, the first load included. */
	int resyncCount() {
		return this.resyncs;
	}

	Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
		start();
		VersionedListener watcher = new VersionedListener(logger, serviceName, listener, true);
		this.watchers.computeIfAbsent(serviceName, (name) -> new CopyOnWriteArrayList<>()).add(watcher);
		// Either this thread sees the first load done, or the loader sees this watcher: both may deliver,
		// the version check makes the second a no-op.
		if (this.firstLoad.isDone()) {
			Snapshot current = this.snapshots.getOrDefault(serviceName, Snapshot.EMPTY);
			watcher.deliver(current.version(), current.up());
		}
		return () -> {
			watcher.cancel();
			List<VersionedListener> list = this.watchers.get(serviceName);
			if (list != null) {
				list.remove(watcher);
			}
		};
	}

	/** Starts the first load and the watch, once. Never blocks. */
	void start() {
		if (this.started) {
			return;
		}
		synchronized (this.lock) {
			if (this.started || this.closed) {
				return;
			}
			this.started = true;
			this.startedAtNanos = System.nanoTime();
		}
		requestResync(0, null);
	}

	/**
	 * Waits for the first load, at most {@code requestTimeout} after the cache started, so a registry whose
	 * etcd is down at start answers (with nothing) instead of blocking every read.
	 */
	private void awaitFirstLoad() {
		start();
		if (this.firstLoad.isDone()) {
			return;
		}
		long waitNanos;
		synchronized (this.lock) {
			waitNanos = this.startedAtNanos + this.requestTimeout.toNanos() - System.nanoTime();
		}
		if (waitNanos <= 0) {
			return;
		}
		try {
			this.firstLoad.get(waitNanos, TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			logger.debug("No etcd answer within {}: serving an empty discovery cache until etcd answers",
					this.requestTimeout);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (java.util.concurrent.ExecutionException ex) {
			// firstLoad only completes normally
		}
	}

	/**
	 * Asks for a rebuild unless one is running or the failure came from a watch that was replaced already.
	 * Called from jetcd threads (possibly under jetcd's lock): never blocks.
	 */
	private void requestResync(long fromGeneration, @Nullable Throwable cause) {
		synchronized (this.lock) {
			if (this.closed || fromGeneration != this.generation || this.resync != null) {
				return;
			}
			this.generation++;
			if (cause != null) {
				this.state.failed(cause);
				if (EtcdRequests.unwrap(cause) instanceof CompactedException) {
					logger.info("etcd watch on '{}' fell behind a compaction; rebuilding the cache from a fresh read",
							EtcdKeys.text(this.keys.servicesPrefix()));
				}
				else {
					logger.warn("etcd watch on '{}' failed ({}); rebuilding the cache from a fresh read",
							EtcdKeys.text(this.keys.servicesPrefix()), EtcdRequests.unwrap(cause).toString());
				}
			}
			long resyncGeneration = this.generation;
			CompletableFuture<Void> future = Failsafe.with(this.retryPolicy)
				.with(this.scheduler)
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
		GetResponse response;
		try {
			response = EtcdRequests.await(this.client.getKVClient()
				.get(this.keys.servicesPrefix(), GetOption.builder().isPrefix(true).build()), this.requestTimeout,
					"read of " + EtcdKeys.text(this.keys.servicesPrefix()));
		}
		catch (RuntimeException ex) {
			this.state.failed(ex);
			logger.debug("etcd read failed; retrying with backoff", ex);
			throw ex;
		}
		this.state.succeeded();
		long readAt = response.getHeader().getRevision();
		Map<String, List<ServiceInstance>> fresh = new HashMap<>();
		Set<String> seenKeys = new HashSet<>();
		SharedValues shared = new SharedValues();
		for (KeyValue kv : response.getKvs()) {
			String key = EtcdKeys.text(kv.getKey());
			seenKeys.add(key);
			String[] names = parse(key, true);
			ServiceInstance instance = (names != null) ? decode(key, names, kv, shared) : null;
			if (instance != null) {
				fresh.computeIfAbsent(instance.serviceName(), (name) -> new ArrayList<>()).add(instance);
			}
		}
		this.warnedKeys.retainAll(seenKeys);
		List<Publication> publications = new ArrayList<>();
		synchronized (this.lock) {
			if (this.closed || resyncGeneration != this.generation) {
				return;
			}
			Set<String> services = new HashSet<>(this.snapshots.keySet());
			services.addAll(fresh.keySet());
			for (String service : services) {
				replace(service, fresh.getOrDefault(service, List.of()), publications);
			}
			this.readRevision = readAt;
			this.revision = readAt;
			// From here a failure of the watch about to start must start a new rebuild, even before this
			// method returns.
			this.resync = null;
		}
		Watch.Watcher started = this.client.getWatchClient()
			.watch(this.keys.servicesPrefix(),
					WatchOption.builder().isPrefix(true).withRevision(readAt + 1).withProgressNotify(true).build(),
					new GenerationListener(resyncGeneration));
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
		this.resyncs++;
		publish(publications);
		if (!this.firstLoad.isDone()) {
			this.firstLoad.complete(null);
			// watchers that subscribed before the first load get their first list now, even an empty one
			this.watchers.forEach((service, list) -> {
				Snapshot snapshot = this.snapshots.getOrDefault(service, Snapshot.EMPTY);
				list.forEach((w) -> w.deliver(snapshot.version(), snapshot.up()));
			});
		}
		logger.debug("etcd discovery cache loaded at revision {}, watching from {}", readAt, readAt + 1);
	}

	private void onWatchResponse(long watchGeneration, WatchResponse response) {
		this.state.succeeded();
		List<Publication> publications = new ArrayList<>();
		synchronized (this.lock) {
			if (this.closed || watchGeneration != this.generation) {
				return;
			}
			// each changed service's instances by id, starting from the cached ones
			Map<String, Map<String, ServiceInstance>> changed = new LinkedHashMap<>();
			SharedValues shared = new SharedValues();
			for (WatchEvent event : response.getEvents()) {
				KeyValue kv = event.getKeyValue();
				long modRevision = kv.getModRevision();
				if (modRevision <= this.readRevision) {
					continue;
				}
				this.revision = Math.max(this.revision, modRevision);
				String key = EtcdKeys.text(kv.getKey());
				boolean put = event.getEventType() == WatchEvent.EventType.PUT;
				if (!put) {
					this.warnedKeys.remove(key);
				}
				String[] names = parse(key, put);
				if (names == null) {
					continue;
				}
				Map<String, ServiceInstance> instances = changed.computeIfAbsent(names[0],
						(service) -> cachedById(service, shared));
				instances.remove(names[1]);
				ServiceInstance instance = put ? decode(key, names, kv, shared) : null;
				if (instance != null) {
					instances.put(names[1], instance);
				}
			}
			changed.forEach((service, now) -> replace(service, now.values(), publications));
		}
		publish(publications);
	}

	/** The cached instances of a service by id; their values go into {@code shared} for new ones to reuse. */
	private Map<String, ServiceInstance> cachedById(String service, SharedValues shared) {
		Map<String, ServiceInstance> instances = new HashMap<>();
		for (ServiceInstance instance : this.snapshots.getOrDefault(service, Snapshot.EMPTY).all()) {
			instances.put(instance.instanceId(), instance);
			shared.add(instance);
		}
		return instances;
	}

	/**
	 * Replaces a service's snapshot when its instances differ from the cached ones, and adds the
	 * publication; called under {@link #lock}.
	 */
	private void replace(String service, Collection<ServiceInstance> now, List<Publication> publications) {
		List<ServiceInstance> all = now.stream().sorted(BY_ID).toList();
		if (all.equals(this.snapshots.getOrDefault(service, Snapshot.EMPTY).all())) {
			return;
		}
		Snapshot snapshot;
		if (all.isEmpty()) {
			this.snapshots.remove(service);
			snapshot = new Snapshot(++this.version, List.of(), List.of());
		}
		else {
			List<ServiceInstance> up = all.stream().filter(ServiceInstance::isUp).toList();
			// one list when every instance is up
			snapshot = new Snapshot(++this.version, all, (up.size() == all.size()) ? all : up);
			this.snapshots.put(service, snapshot);
		}
		publications.add(new Publication(service, snapshot));
	}

	private void publish(List<Publication> publications) {
		for (Publication publication : publications) {
			List<VersionedListener> list = this.watchers.get(publication.service());
			if (list != null) {
				for (VersionedListener w : list) {
					w.deliver(publication.snapshot().version(), publication.snapshot().up());
				}
			}
		}
	}

	/**
	 * Splits a key into service name and instance id.
	 * @return the two names, or {@code null} (with one warning per key if {@code warn}) when the key does not
	 * follow the layout
	 */
	private String @Nullable [] parse(String key, boolean warn) {
		String[] names = this.keys.parse(key);
		if (names == null && warn) {
			warnOnce(key, "the key does not follow <namespace>/services/<service>/<instanceId>");
		}
		return names;
	}

	private @Nullable ServiceInstance decode(String key, String[] names, KeyValue kv, SharedValues shared) {
		try {
			ServiceInstance instance = EtcdInstanceCodec.decode(shared.share(names[0]), names[1],
					kv.getValue().getBytes(), shared::share);
			this.warnedKeys.remove(key);
			return instance;
		}
		catch (IllegalArgumentException ex) {
			warnOnce(key, ex.getMessage());
			return null;
		}
	}

	private void warnOnce(String key, @Nullable String reason) {
		if (this.warnedKeys.add(key)) {
			logger.warn("Skipping etcd key '{}': {}", key, reason);
		}
	}

	@Override
	public void close() {
		Watch.Watcher current;
		CompletableFuture<Void> pending;
		synchronized (this.lock) {
			if (this.closed) {
				return;
			}
			this.closed = true;
			this.generation++;
			current = this.watcher;
			this.watcher = null;
			pending = this.resync;
			this.resync = null;
		}
		if (pending != null) {
			pending.cancel(false);
		}
		if (current != null) {
			current.close();
		}
		this.watchers.values().forEach((list) -> list.forEach(VersionedListener::cancel));
		this.watchers.clear();
	}

	/** Receives one watch's callbacks; tagged with the generation that started it. */
	private final class GenerationListener implements Watch.Listener {

		private final long watchGeneration;

		GenerationListener(long watchGeneration) {
			this.watchGeneration = watchGeneration;
		}

		@Override
		public void onNext(WatchResponse response) {
			onWatchResponse(this.watchGeneration, response);
		}

		@Override
		public void onError(Throwable throwable) {
			requestResync(this.watchGeneration, throwable);
		}

		@Override
		public void onCompleted() {
			requestResync(this.watchGeneration, new IllegalStateException("watch completed"));
		}

	}

	private record Snapshot(long version, List<ServiceInstance> all, List<ServiceInstance> up) {

		static final Snapshot EMPTY = new Snapshot(0, List.of(), List.of());

	}

	private record Publication(String service, Snapshot snapshot) {
	}

	/**
	 * Equal values among the instances of one pass (a full read, or a batch of watch events together with the
	 * cached instances of the services it touches), so that instances hold one copy of each: the service
	 * name, and the metadata maps that the instances of a service mostly have in common. Dropped after the
	 * pass, so it keeps nothing alive.
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
