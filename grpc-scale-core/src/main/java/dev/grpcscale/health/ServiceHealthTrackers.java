package dev.grpcscale.health;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.discovery.ServiceDiscovery;

/**
 * The {@link ServiceHealthTracker}s of one {@link HealthCheckingServiceDiscovery}, by service name: a service's
 * tracker is made and started the first time it is asked about and kept until {@link #closeAll()}; none is
 * made once closed. Thread-safe.
 */
final class ServiceHealthTrackers {

	private final ServiceDiscovery delegate;

	private final ProbeContext context;

	private final Map<String, ServiceHealthTracker> trackers = new ConcurrentHashMap<>();

	private final AtomicBoolean closed = new AtomicBoolean();

	ServiceHealthTrackers(ServiceDiscovery delegate, ProbeContext context) {
		this.delegate = delegate;
		this.context = context;
	}

	/** The tracker of a service, started; {@code null} once closed. */
	@Nullable ServiceHealthTracker started(String serviceName) {
		if (this.closed.get()) {
			return null;
		}
		ServiceHealthTracker tracker = this.trackers.computeIfAbsent(serviceName,
				(name) -> new ServiceHealthTracker(name, this.delegate, this.context));
		tracker.ensureStarted();
		if (this.closed.get()) {
			// closeAll() ran while this tracker was being created: it may have missed it
			this.trackers.remove(serviceName, tracker);
			tracker.close();
			return null;
		}
		return tracker;
	}

	/** The tracker of a service asked about before, without starting one; {@code null} once closed. */
	@Nullable ServiceHealthTracker existing(String serviceName) {
		return this.closed.get() ? null : this.trackers.get(serviceName);
	}

	/** Stops every tracker's probers; called holding the discovery's pause lock. */
	void pauseProbing() {
		this.trackers.values().forEach(ServiceHealthTracker::pauseProbing);
	}

	/** Starts every tracker's probers; called holding the discovery's pause lock. */
	void resumeProbing() {
		this.trackers.values().forEach(ServiceHealthTracker::resumeProbing);
	}

	/** The health of every probed instance, by service name then instance id. */
	List<InstanceHealth> snapshot() {
		List<InstanceHealth> result = new ArrayList<>();
		this.trackers.values().forEach((tracker) -> result.addAll(tracker.snapshot()));
		result.sort(Comparator.comparing(InstanceHealth::serviceName).thenComparing(InstanceHealth::instanceId));
		return List.copyOf(result);
	}

	/** The health of the probed instances of one service, by instance id; empty if it is not probed. */
	List<InstanceHealth> snapshot(String serviceName) {
		ServiceHealthTracker tracker = this.trackers.get(serviceName);
		return (tracker != null) ? List.copyOf(tracker.snapshot()) : List.of();
	}

	/** The names of the services in panic mode, sorted. */
	Set<String> panicServices() {
		SortedSet<String> result = new TreeSet<>();
		this.trackers.forEach((name, tracker) -> {
			if (tracker.view().panic()) {
				result.add(name);
			}
		});
		return Collections.unmodifiableSortedSet(result);
	}

	boolean isClosed() {
		return this.closed.get();
	}

	/**
	 * Marks the trackers closed: no tracker is made from now on.
	 * @return whether they were open
	 */
	boolean markClosed() {
		return this.closed.compareAndSet(false, true);
	}

	/** Closes every tracker made; call after {@link #markClosed()}. */
	void closeAll() {
		this.trackers.values().forEach(ServiceHealthTracker::close);
		this.trackers.clear();
	}

}
