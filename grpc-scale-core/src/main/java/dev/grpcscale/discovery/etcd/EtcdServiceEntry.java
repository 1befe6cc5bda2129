package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.internal.VersionedListener;
import dev.grpcscale.etcd.internal.EtcdFailures;
import dev.grpcscale.internal.IdleMark;
import dev.grpcscale.metrics.LatencyTally;

/**
 * One service held by an {@link EtcdDiscoveryCache}: its instances (an immutable {@link Snapshot}), its
 * watchers, and the watch that keeps the snapshot current with the rebuilds that restart it.
 *
 * <p><b>Life.</b> {@link #start()} loads the service through the {@link EtcdServiceLoader} and opens a watch
 * from the read's revision + 1; the first load is awaited by readers for at most {@code requestTimeout}. On
 * any watch failure or completion the service is rebuilt from a fresh read and a new watch, retried with
 * backoff while etcd is unreachable. The snapshot is replaced only once a read succeeded, so it is never
 * emptied nor half-filled in between, and watchers are called only when the UP list changed.
 * {@link #closeIfIdle} closes it once it has no watcher and was not read for {@code idleTimeout}.
 *
 * <p><b>Revisions and generations.</b> Events at or below the revision of the last read are in the snapshot
 * already and are skipped. Each watch is tagged with the generation that started it; callbacks of older
 * watches are ignored, and closing moves the generation on so that nothing started before takes effect.
 *
 * <p><b>Locking.</b> The state is guarded by one lock, never held while calling jetcd, because jetcd calls
 * {@code Watch.Listener#onError} and {@code onCompleted} while holding its own lock; those two callbacks only
 * hand work to the scheduler. Watchers are called outside the lock.
 */
final class EtcdServiceEntry {

	/** Logs under the cache's name, where etcd discovery has always logged. */
	private static final Logger logger = LoggerFactory.getLogger(EtcdDiscoveryCache.class);

	private static final Comparator<ServiceInstance> BY_ID = Comparator.comparing(ServiceInstance::instanceId);

	private final String name;

	private final ByteSequence prefix;

	private final Shared shared;

	private final Object lock = new Object();

	private final List<VersionedListener> watchers = new CopyOnWriteArrayList<>();

	private final CompletableFuture<Void> firstLoad = new CompletableFuture<>();

	/** Replaced under {@link #lock}, read without it. */
	private volatile Snapshot snapshot = Snapshot.EMPTY;

	private final IdleMark idle;

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

	EtcdServiceEntry(String name, Shared shared) {
		this.name = name;
		this.shared = shared;
		this.prefix = shared.loader().prefix(name);
		this.idle = new IdleMark(shared.nanoTime().getAsLong());
	}

	String name() {
		return this.name;
	}

	/** The instances now; read without a lock. */
	Snapshot snapshot() {
		return this.snapshot;
	}

	/** Whether the service has at least one instance, UP or not. */
	boolean hasInstances() {
		return !this.snapshot.all().isEmpty();
	}

	/** Notes a read: an entry read within the idle timeout is not idle. */
	void touch() {
		this.idle.read();
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

	/** Starts the first load, once. */
	void start() {
		synchronized (this.lock) {
			if (this.started || this.closed) {
				return;
			}
			this.started = true;
			this.startedAtNanos = this.shared.nanoTime().getAsLong();
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
			this.snapshot.deliverTo(watcher);
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
			if (!this.idle.idleFor(now, this.shared.idleTimeout().toNanos()) || this.closed
					|| !this.watchers.isEmpty()) {
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
			waitNanos = this.startedAtNanos + this.shared.requestTimeout().toNanos()
					- this.shared.nanoTime().getAsLong();
		}
		if (waitNanos <= 0) {
			return;
		}
		try {
			this.firstLoad.get(waitNanos, TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			logger.debug("No etcd answer for '{}' within {}: serving nothing until etcd answers", this.name,
					this.shared.requestTimeout());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException ex) {
			// firstLoad only completes normally
		}
	}

	/** Whether a callback or rebuild of {@code generation} is still the current one; called under {@link #lock}. */
	private boolean isCurrent(long generation) {
		return !this.closed && generation == this.generation;
	}

	/**
	 * Asks for a rebuild unless one is running or the failure came from a watch that was replaced already.
	 * Called from jetcd threads (possibly under jetcd's lock): never blocks.
	 */
	void requestResync(long fromGeneration, @Nullable Throwable cause) {
		synchronized (this.lock) {
			if (!isCurrent(fromGeneration) || this.resync != null) {
				return;
			}
			this.generation++;
			if (cause != null) {
				this.shared.state().failed(cause);
				if (EtcdRequests.unwrap(cause) instanceof CompactedException) {
					logger.info("etcd watch on '{}' fell behind a compaction; rebuilding from a fresh read",
							EtcdKeys.text(this.prefix));
				}
				else if (cause instanceof WatchCompleted) {
					// jetcd completes a watch it closes itself: its client is closing (or etcd ended the stream)
					logger.debug("etcd watch on '{}' was completed, not by this registry; rebuilding from a fresh read",
							EtcdKeys.text(this.prefix));
				}
				else {
					logger.warn("etcd watch on '{}' failed ({}); rebuilding from a fresh read",
							EtcdKeys.text(this.prefix), EtcdRequests.unwrap(cause).toString());
				}
			}
			long resyncGeneration = this.generation;
			CompletableFuture<Void> future = Failsafe.with(this.shared.retryPolicy())
				.with(this.shared.scheduler())
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
			if (!isCurrent(resyncGeneration)) {
				return;
			}
			previous = this.watcher;
			this.watcher = null;
		}
		if (previous != null) {
			previous.close();
		}
		EtcdServiceLoader.Load load;
		try {
			load = this.shared.loader().load(this.name, this.prefix);
		}
		catch (RuntimeException ex) {
			synchronized (this.lock) {
				if (!isCurrent(resyncGeneration)) {
					return; // closed or replaced meanwhile: nothing to retry, nothing to report
				}
			}
			this.shared.state().failed(ex);
			if (EtcdFailures.isClientClosed(ex)) {
				// no retry can succeed on a closed client: keep the last instances until the registry closes
				logger.debug("etcd read of '{}' not retried: the etcd client is closed", EtcdKeys.text(this.prefix));
				return;
			}
			logger.debug("etcd read of '{}' failed ({}); retrying with backoff", EtcdKeys.text(this.prefix),
					ex.getMessage());
			throw ex;
		}
		this.shared.state().succeeded();
		long readAt = load.revision();
		Snapshot published;
		synchronized (this.lock) {
			if (!isCurrent(resyncGeneration)) {
				return;
			}
			published = replace(load.instances());
			this.readRevision = readAt;
			this.revision = readAt;
			// From here a failure of the watch about to start must start a new rebuild, even before this
			// method returns.
			this.resync = null;
		}
		Watch.Watcher started = this.shared.loader()
			.watch(this.prefix, readAt, new GenerationListener(this, resyncGeneration));
		boolean stale;
		synchronized (this.lock) {
			stale = !isCurrent(resyncGeneration);
			if (!stale) {
				this.watcher = started;
			}
		}
		if (stale) {
			started.close();
		}
		this.shared.resyncs().incrementAndGet();
		if (published != null) {
			publish(published);
		}
		if (!this.firstLoad.isDone()) {
			this.firstLoad.complete(null);
			// watchers that subscribed before the first load get their first list now, even an empty one
			publish(this.snapshot);
		}
		logger.debug("etcd discovery cache of '{}' loaded at revision {} ({} keys), watching from {}", this.name,
				readAt, load.keys(), readAt + 1);
	}

	void onWatchResponse(long watchGeneration, WatchResponse response) {
		long arrived = System.nanoTime();
		this.shared.state().succeeded();
		Snapshot published = null;
		synchronized (this.lock) {
			if (!isCurrent(watchGeneration) || response.getEvents().isEmpty()) {
				return;
			}
			Map<String, ServiceInstance> instances = null;
			EtcdServiceLoader.SharedValues values = new EtcdServiceLoader.SharedValues();
			for (WatchEvent event : response.getEvents()) {
				KeyValue kv = event.getKeyValue();
				long modRevision = kv.getModRevision();
				if (modRevision <= this.readRevision) {
					continue;
				}
				this.revision = Math.max(this.revision, modRevision);
				if (instances == null) {
					instances = cachedById(values);
				}
				String key = EtcdKeys.text(kv.getKey());
				String[] names = this.shared.keys().parse(key);
				if (names != null) {
					instances.remove(names[1]);
				}
				if (event.getEventType() != WatchEvent.EventType.PUT) {
					this.shared.loader().deleted(key);
					continue;
				}
				ServiceInstance instance = this.shared.loader().decode(this.name, key, kv, values);
				if (instance != null) {
					instances.put(instance.instanceId(), instance);
				}
			}
			if (instances != null) {
				published = replace(instances.values());
			}
		}
		if (published != null) {
			publish(published);
			this.shared.watchLag().record(System.nanoTime() - arrived);
		}
	}

	/** The cached instances by id; their values go into {@code values} for new ones to reuse. */
	private Map<String, ServiceInstance> cachedById(EtcdServiceLoader.SharedValues values) {
		Map<String, ServiceInstance> instances = new HashMap<>();
		for (ServiceInstance instance : this.snapshot.all()) {
			instances.put(instance.instanceId(), instance);
			values.add(instance);
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
		Snapshot snapshot = new Snapshot(this.shared.versions().incrementAndGet(), all,
				(up.size() == all.size()) ? all : up);
		this.snapshot = snapshot;
		return snapshot;
	}

	private void publish(Snapshot snapshot) {
		for (VersionedListener w : this.watchers) {
			snapshot.deliverTo(w);
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
		this.shared.loader().forgetWarnings(this.prefix, (key) -> true);
	}

	/**
	 * What the services of one cache share.
	 * @param loader reads and watches etcd
	 * @param keys the key layout
	 * @param requestTimeout how long a reader waits for a service's first load
	 * @param idleTimeout how long a service without watchers stays held after its last read
	 * @param scheduler runs the rebuilds
	 * @param retryPolicy retries a rebuild while etcd is unreachable
	 * @param state the connection state each read and watch response updates
	 * @param nanoTime the time source of the idle and first-load timeouts
	 * @param versions numbers the snapshots of all services, for {@link VersionedListener}
	 * @param resyncs counts the completed rebuilds, first loads included
	 * @param watchLag the time from a watch response's arrival to its new list handed to every watcher
	 */
	record Shared(EtcdServiceLoader loader, EtcdKeys keys, Duration requestTimeout, Duration idleTimeout,
			ScheduledExecutorService scheduler, RetryPolicy<Object> retryPolicy, EtcdConnectionState state,
			LongSupplier nanoTime, AtomicLong versions, AtomicInteger resyncs, LatencyTally watchLag) {
	}

	/**
	 * The instances of a service at one moment.
	 * @param version the publication's version, growing with every snapshot of every service
	 * @param all every instance, sorted by id
	 * @param up the UP ones, sorted by id ({@code all} itself when every instance is UP)
	 */
	record Snapshot(long version, List<ServiceInstance> all, List<ServiceInstance> up) {

		static final Snapshot EMPTY = new Snapshot(0, List.of(), List.of());

		void deliverTo(VersionedListener watcher) {
			watcher.deliver(this.version, this.up);
		}

	}

	/** Receives one watch's callbacks; tagged with the generation that started it. */
	private static final class GenerationListener implements Watch.Listener {

		private final EtcdServiceEntry service;

		private final long watchGeneration;

		GenerationListener(EtcdServiceEntry service, long watchGeneration) {
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
			this.service.requestResync(this.watchGeneration, new WatchCompleted());
		}

	}

	/** A watch that jetcd completed while it was current: not a failure of etcd's. */
	private static final class WatchCompleted extends IllegalStateException {

		private static final long serialVersionUID = 1L;

		WatchCompleted() {
			super("watch completed");
		}

	}

	private record Closing(Watch.@Nullable Watcher watcher, @Nullable CompletableFuture<Void> resync) {
	}

}
