package dev.grpcscale.discovery.kubernetes;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.internal.VersionedListener;
import dev.grpcscale.internal.IdleMark;

/**
 * One service followed through an informer on the EndpointSlices labelled
 * {@code kubernetes.io/service-name=<name>} in its namespace: a list, then a watch from the list's
 * resourceVersion, which fabric8 re-opens (re-listing when the version expired) whenever it ends. Every
 * event recomputes the instances from the informer's store; watchers hear of a change of the UP list only.
 * The store keeps the last slices while the API server is unreachable, so the last instances keep serving.
 */
final class EndpointSliceWatch implements ResourceEventHandler<EndpointSlice> {

	/** The label Kubernetes puts on the EndpointSlices of a Service. */
	static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

	private static final Logger logger = LoggerFactory.getLogger(EndpointSliceWatch.class);

	private static final long NOT_SET = Long.MIN_VALUE;

	private final String name;

	private final KubernetesService target;

	private final AtomicLong versions;

	private final LongSupplier nanoTime;

	private final Object lock = new Object();

	private final List<VersionedListener> watchers = new CopyOnWriteArrayList<>();

	private final CompletableFuture<Void> firstSync = new CompletableFuture<>();

	/** Guarded by {@link #lock}. */
	private final EndpointSliceInstances converter;

	private final SharedIndexInformer<EndpointSlice> informer;

	private volatile Snapshot snapshot = Snapshot.EMPTY;

	private final IdleMark idle;

	private volatile @Nullable String lastError;

	/** {@code nanoTime} since which the watch was seen down after the first list, or {@link #NOT_SET}. */
	private volatile long notWatchingSince = NOT_SET;

	private final long startedAtNanos;

	/** Guarded by {@link #lock}. */
	private boolean closed;

	EndpointSliceWatch(KubernetesClient client, String name, KubernetesService target, String portName, Clock clock,
			AtomicLong versions, LongSupplier nanoTime) {
		this.name = name;
		this.target = target;
		this.versions = versions;
		this.nanoTime = nanoTime;
		this.converter = new EndpointSliceInstances(name, target, portName, clock);
		this.startedAtNanos = nanoTime.getAsLong();
		this.idle = new IdleMark(this.startedAtNanos);
		this.informer = client.discovery()
			.v1()
			.endpointSlices()
			.inNamespace(target.namespace())
			.withLabel(SERVICE_NAME_LABEL, target.name())
			.runnableInformer(0);
		this.informer.addEventHandler(this);
		// retry every failure, the first list's too: a service read before its Service or RBAC exists starts
		// serving once they do, and an unreachable API server leaves the store (the last slices) as it was
		this.informer.exceptionHandler((started, failure) -> {
			this.lastError = failure.toString();
			logger.debug("EndpointSlice informer of '{}' ({}) failed; retrying", name, target, failure);
			return true;
		});
	}

	/** Starts the informer; the first list completes {@link #awaitFirstSync}. */
	void start() {
		this.informer.start().whenComplete((result, failure) -> {
			if (failure == null) {
				this.lastError = null;
				refresh();
			}
		});
	}

	String name() {
		return this.name;
	}

	KubernetesService target() {
		return this.target;
	}

	List<ServiceInstance> all() {
		return this.snapshot.all();
	}

	List<ServiceInstance> up() {
		return this.snapshot.up();
	}

	void touch() {
		this.idle.read();
	}

	/**
	 * Notes whether the watch is open now; called every second, so that a watch down for a while is told
	 * from one being re-opened.
	 * @param now the current {@code nanoTime}
	 */
	void checkWatch(long now) {
		if (this.informer.isWatching()) {
			this.notWatchingSince = NOT_SET;
			this.lastError = null;
		}
		else if (this.notWatchingSince == NOT_SET && this.informer.hasSynced()) {
			this.notWatchingSince = now;
		}
	}

	/**
	 * Whether the API server is reachable for this service: unless its watch is open, not after a failure,
	 * nor once the watch has been down for {@code graceNanos} (fabric8 re-opens a dropped watch by itself,
	 * without reporting it). A service being listed for the first time is reachable.
	 */
	boolean isReachable(long now, long graceNanos) {
		checkWatch(now);
		if (this.informer.isWatching()) {
			return true;
		}
		long since = this.notWatchingSince;
		return this.lastError == null && (since == NOT_SET || now - since < graceNanos);
	}

	/** Why this service is unreachable: the last failure, else how long its watch has been down. */
	String failure(long now) {
		String error = this.lastError;
		long since = this.notWatchingSince;
		if (error != null || since == NOT_SET) {
			return String.valueOf(error);
		}
		return "the EndpointSlice watch of " + this.target + " has been down for "
				+ TimeUnit.NANOSECONDS.toSeconds(now - since) + "s";
	}

	/** Waits for the first list, at most {@code timeout} after this watch started. */
	void awaitFirstSync(Duration timeout) {
		if (this.firstSync.isDone()) {
			return;
		}
		long waitNanos = this.startedAtNanos + timeout.toNanos() - this.nanoTime.getAsLong();
		if (waitNanos <= 0) {
			return;
		}
		try {
			this.firstSync.get(waitNanos, TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			logger.debug("No EndpointSlice list of '{}' ({}) within {}: serving nothing until it comes", this.name,
					this.target, timeout);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException ex) {
			// firstSync only completes normally
		}
	}

	/** Adds a watcher unless closed; delivers the current list once the first list arrived. */
	boolean addWatcher(VersionedListener watcher) {
		synchronized (this.lock) {
			if (this.closed) {
				return false;
			}
			this.watchers.add(watcher);
		}
		if (this.firstSync.isDone()) {
			Snapshot current = this.snapshot;
			watcher.deliver(current.version(), current.up());
		}
		return true;
	}

	void removeWatcher(VersionedListener watcher) {
		this.watchers.remove(watcher);
		touch();
	}

	/** Closes this watch when nobody watches it and it was not read for {@code idleNanos}. */
	boolean closeIfIdle(long now, long idleNanos) {
		synchronized (this.lock) {
			if (!this.idle.idleFor(now, idleNanos) || this.closed || !this.watchers.isEmpty()) {
				return false;
			}
			this.closed = true;
		}
		release();
		return true;
	}

	boolean isClosed() {
		synchronized (this.lock) {
			return this.closed;
		}
	}

	void close() {
		synchronized (this.lock) {
			if (this.closed) {
				return;
			}
			this.closed = true;
		}
		release();
	}

	private void release() {
		this.informer.stop();
		this.watchers.forEach(VersionedListener::cancel);
		this.watchers.clear();
		this.firstSync.complete(null);
	}

	@Override
	public void onAdd(EndpointSlice slice) {
		refresh();
	}

	@Override
	public void onUpdate(EndpointSlice oldSlice, EndpointSlice newSlice) {
		refresh();
	}

	@Override
	public void onDelete(EndpointSlice slice, boolean deletedFinalStateUnknown) {
		refresh();
	}

	@Override
	public void onNothing() {
		refresh();
	}

	/** Recomputes the instances from the informer's store and tells the watchers when the UP list changed. */
	private void refresh() {
		Snapshot published = null;
		synchronized (this.lock) {
			if (this.closed || !this.informer.hasSynced()) {
				return;
			}
			List<ServiceInstance> all = this.converter.instances(this.informer.getStore().list());
			if (!all.equals(this.snapshot.all()) || !this.firstSync.isDone()) {
				List<ServiceInstance> up = all.stream().filter(ServiceInstance::isUp).toList();
				this.snapshot = new Snapshot(this.versions.incrementAndGet(), all,
						(up.size() == all.size()) ? all : up);
				published = this.snapshot;
			}
		}
		this.lastError = null;
		boolean first = this.firstSync.complete(null);
		if (published != null) {
			for (VersionedListener watcher : this.watchers) {
				watcher.deliver(published.version(), published.up());
			}
			if (first) {
				logger.debug("Following '{}' through the EndpointSlices of {}: {} instances", this.name, this.target,
						published.all().size());
			}
		}
	}

	private record Snapshot(long version, List<ServiceInstance> all, List<ServiceInstance> up) {

		static final Snapshot EMPTY = new Snapshot(0, List.of(), List.of());

	}

}
