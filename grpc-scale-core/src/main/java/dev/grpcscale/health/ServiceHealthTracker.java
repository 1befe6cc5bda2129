package dev.grpcscale.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.internal.VersionedListener;

/**
 * The health checking of one service: follows the delegate's watch, keeps one {@link InstanceProber} per
 * {@code UP} instance (none while paused), records their results, and publishes the {@link HealthView} to the
 * watchers whenever discovery or an instance's status changes.
 *
 * <p>Prober state and the view are changed under {@link #lock}; nothing outside this class (delegate,
 * watchers, listeners, channels) is called while holding it. Starting and closing take {@link #startLock},
 * which the delegate's callbacks never take.
 */
final class ServiceHealthTracker {

	/** Logs under the discovery's name, where health checks have always been logged. */
	private static final Logger logger = LoggerFactory.getLogger(HealthCheckingServiceDiscovery.class);

	private final String serviceName;

	private final ServiceDiscovery delegate;

	private final ProbeContext context;

	private final Object lock = new Object();

	private final Object startLock = new Object();

	private final Map<String, InstanceProber> probers = new HashMap<>();

	private final Set<VersionedListener> watchers = ConcurrentHashMap.newKeySet();

	private final FilteredInstances filtered = new FilteredInstances();

	private List<ServiceInstance> discovered = List.of();

	private volatile HealthView view = HealthView.INITIAL;

	private @Nullable Subscription delegateSubscription;

	private boolean started;

	private volatile boolean closed;

	ServiceHealthTracker(String serviceName, ServiceDiscovery delegate, ProbeContext context) {
		this.serviceName = serviceName;
		this.delegate = delegate;
		this.context = context;
	}

	/** Starts following the delegate's watch, once; not after {@link #close()}. */
	void ensureStarted() {
		synchronized (this.startLock) {
			if (this.started || this.closed) {
				return;
			}
			this.started = true;
			this.delegateSubscription = this.delegate.watch(this.serviceName, this::onDelegateUpdate);
		}
	}

	/** The current view. */
	HealthView view() {
		return this.view;
	}

	/**
	 * Adds a watcher of the filtered list; it gets the current one at once when one was published.
	 * @param listener the watcher
	 * @return a handle that cancels it
	 */
	Subscription addWatcher(Consumer<List<ServiceInstance>> listener) {
		VersionedListener watcher = new VersionedListener(logger, this.serviceName, listener, false);
		this.watchers.add(watcher);
		HealthView current = this.view;
		if (current.version() > 0) {
			watcher.deliver(current.version(), current.up());
		}
		return () -> {
			watcher.cancel();
			this.watchers.remove(watcher);
		};
	}

	/** The delegate's list as the current view filters it, computed once per list and view. */
	List<ServiceInstance> passing(List<ServiceInstance> instances) {
		return this.filtered.passing(instances, this.view);
	}

	/** The health of the probed instances, by instance id. */
	List<InstanceHealth> snapshot() {
		List<InstanceHealth> result;
		synchronized (this.lock) {
			result = new ArrayList<>(this.probers.size());
			for (InstanceProber prober : this.probers.values()) {
				result.add(prober.state.health());
			}
		}
		result.sort(Comparator.comparing(InstanceHealth::instanceId));
		return result;
	}

	private void onDelegateUpdate(List<ServiceInstance> instances) {
		List<InstanceProber> started = new ArrayList<>();
		List<InstanceProber> stopped = new ArrayList<>();
		HealthView published;
		synchronized (this.lock) {
			if (this.closed) {
				return;
			}
			this.discovered = List.copyOf(instances);
			boolean paused = this.context.paused();
			Set<String> present = new HashSet<>();
			for (ServiceInstance instance : this.discovered) {
				present.add(instance.instanceId());
				if (paused) {
					continue;
				}
				InstanceProber existing = this.probers.get(instance.instanceId());
				if (existing != null && existing.instance.address().equals(instance.address())) {
					continue;
				}
				if (existing != null) {
					existing.stop();
					stopped.add(existing);
				}
				InstanceProber prober = newProber(instance);
				this.probers.put(instance.instanceId(), prober);
				started.add(prober);
			}
			this.probers.values().removeIf((prober) -> {
				if (present.contains(prober.instance.instanceId())) {
					return false;
				}
				prober.stop();
				stopped.add(prober);
				return true;
			});
			published = nextView();
		}
		for (InstanceProber prober : stopped) {
			logger.debug("Stopped health checks of {} instance {} at {}", this.serviceName,
					prober.instance.instanceId(), prober.instance.address());
			prober.shutdown();
		}
		for (InstanceProber prober : started) {
			prober.scheduleNext(0);
		}
		publish(published);
	}

	private InstanceProber newProber(ServiceInstance instance) {
		return new InstanceProber(instance, this.context, this::record);
	}

	/** Stops every prober and publishes the delegate's list unfiltered; called holding the pause lock. */
	void pauseProbing() {
		List<InstanceProber> stopped;
		HealthView published;
		synchronized (this.lock) {
			if (this.closed) {
				return;
			}
			stopped = new ArrayList<>(this.probers.values());
			stopped.forEach(InstanceProber::stop);
			this.probers.clear();
			published = nextView();
		}
		stopped.forEach(InstanceProber::shutdown);
		publish(published);
	}

	/** Starts a prober for every discovered instance; called holding the pause lock. */
	void resumeProbing() {
		List<InstanceProber> started = new ArrayList<>();
		synchronized (this.lock) {
			if (this.closed) {
				return;
			}
			for (ServiceInstance instance : this.discovered) {
				if (!this.probers.containsKey(instance.instanceId())) {
					InstanceProber prober = newProber(instance);
					this.probers.put(instance.instanceId(), prober);
					started.add(prober);
				}
			}
		}
		started.forEach((prober) -> prober.scheduleNext(0));
	}

	/** Records the end of a probe, on a scheduler thread, then schedules the next one. */
	private void record(InstanceProber prober, @Nullable String error, long latencyNanos) {
		InstanceHealth health;
		HealthView published = null;
		boolean changed;
		HealthCheckOptions options = this.context.options();
		synchronized (this.lock) {
			if (prober.isStopped()) {
				return;
			}
			changed = prober.state.record(error, this.context.clock.instant(), Duration.ofNanos(latencyNanos),
					options.retries());
			if (changed) {
				published = nextView();
			}
			health = prober.state.health();
		}
		if (error != null) {
			logger.debug("Health check of {} instance {} at {} failed ({} in a row): {}", this.serviceName,
					health.instanceId(), health.address(), health.consecutiveFailures(), error);
		}
		if (changed) {
			if (health.isUp()) {
				logger.info("{} instance {} at {} is back UP: health check succeeded", this.serviceName,
						health.instanceId(), health.address());
			}
			else {
				logger.warn("{} instance {} at {} marked DOWN after {} failed health checks, last: {}",
						this.serviceName, health.instanceId(), health.address(), health.consecutiveFailures(), error);
			}
		}
		if (published != null) {
			publish(published);
		}
		this.context.listeners.checked(health);
		if (changed) {
			this.context.listeners.statusChanged(health);
		}
		prober.scheduleAfter(latencyNanos, options);
	}

	/** A new view of the current state; called holding {@link #lock}. */
	private HealthView nextView() {
		Set<String> down = new HashSet<>();
		for (InstanceProber prober : this.probers.values()) {
			if (prober.state.isDown()) {
				down.add(HealthView.key(prober.instance));
			}
		}
		HealthView next = this.view.next(this.serviceName, this.discovered, down, this.context.options());
		this.view = next;
		return next;
	}

	private void publish(HealthView published) {
		for (VersionedListener watcher : this.watchers) {
			watcher.deliver(published.version(), published.up());
		}
	}

	/** Stops following the delegate, stops every prober and watcher. */
	void close() {
		Subscription subscription;
		List<InstanceProber> stopped;
		synchronized (this.startLock) {
			this.closed = true;
			subscription = this.delegateSubscription;
			this.delegateSubscription = null;
		}
		synchronized (this.lock) {
			stopped = new ArrayList<>(this.probers.values());
			stopped.forEach(InstanceProber::stop);
			this.probers.clear();
		}
		if (subscription != null) {
			subscription.cancel();
		}
		for (VersionedListener watcher : this.watchers) {
			watcher.cancel();
		}
		this.watchers.clear();
		stopped.forEach(InstanceProber::shutdown);
	}

}
