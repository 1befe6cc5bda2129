package dev.grpcscale.circuitbreaker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * The {@link InstanceTracker}s of one {@link CircuitBreakerLoadBalancer}, by instance breaker name: wraps the
 * subchannels the child policy creates for discovered instances, reconciles an instance when its breaker
 * moves, and builds the picker over the child's from what the instances' breakers allow. Runs in the
 * channel's {@link SynchronizationContext}.
 */
final class InstanceTrackers {

	final SynchronizationContext syncContext;

	final ScheduledExecutorService timer;

	/** The channel's breakers; without them no subchannel is wrapped. */
	private final @Nullable GrpcCircuitBreakers breakers;

	/** Hands the channel a new picker (the balancer's, which knows the child's state). */
	private final Runnable publisher;

	private final Map<String, InstanceTracker> trackers = new HashMap<>();

	private boolean shutdown;

	InstanceTrackers(SynchronizationContext syncContext, ScheduledExecutorService timer,
			@Nullable GrpcCircuitBreakers breakers, Runnable publisher) {
		this.syncContext = syncContext;
		this.timer = timer;
		this.breakers = breakers;
		this.publisher = publisher;
	}

	/**
	 * Wraps a subchannel the child created, when its addresses are those of one discovered instance.
	 * @param subchannel the channel's subchannel
	 * @param groups the addresses it was created for
	 * @return the wrapped subchannel, or the given one when it is not one instance's or there are no breakers
	 */
	Subchannel wrap(Subchannel subchannel, List<EquivalentAddressGroup> groups) {
		ServiceInstance instance = instanceOf(groups);
		if (instance == null || this.shutdown) {
			return subchannel;
		}
		String name = GrpcCircuitBreakers.instanceBreakerName(instance.serviceName(), instance.instanceId());
		GrpcCircuitBreakers source = this.breakers;
		if (source == null) {
			return subchannel;
		}
		InstanceTracker tracker = this.trackers.computeIfAbsent(name,
				(key) -> new InstanceTracker(key, this, source, source.hold(key)));
		BreakerSubchannel wrapped = new BreakerSubchannel(subchannel, tracker);
		tracker.subchannels.add(wrapped);
		tracker.reconcile();
		return wrapped;
	}

	private static @Nullable ServiceInstance instanceOf(List<EquivalentAddressGroup> groups) {
		ServiceInstance found = null;
		for (EquivalentAddressGroup group : groups) {
			ServiceInstance instance = group.getAttributes().get(DiscoveryNameResolverProvider.INSTANCE);
			if (instance == null || (found != null && !found.equals(instance))) {
				return null;
			}
			found = instance;
		}
		return found;
	}

	/** The breaker of the named instance moved: brings its subchannels in line and publishes a picker. */
	void reconcile(String name) {
		InstanceTracker tracker = this.trackers.get(name);
		if (tracker != null && !this.shutdown) {
			tracker.reconcile();
			publish();
		}
	}

	void publish() {
		this.publisher.run();
	}

	boolean isShutdown() {
		return this.shutdown;
	}

	/** The tracker's last subchannel is gone. */
	void remove(InstanceTracker tracker) {
		this.trackers.remove(tracker.name, tracker);
	}

	/**
	 * Builds the picker over the child's latest one and the current probes.
	 * @param childPicker the child's latest picker
	 * @param state the child's latest state
	 * @param serviceName the service, for the error when every instance is out
	 * @return the picker
	 */
	BreakerPicker picker(SubchannelPicker childPicker, ConnectivityState state, @Nullable String serviceName) {
		// the child publishes on every subchannel's change: nothing here is allocated per instance
		List<BreakerPicker.Probe> probes = new ArrayList<>();
		int wrapped = 0;
		boolean allOut = !this.trackers.isEmpty();
		for (InstanceTracker tracker : this.trackers.values()) {
			wrapped += tracker.subchannels.size();
			allOut &= tracker.ejected;
			BreakerSubchannel ready = tracker.probing ? tracker.readySubchannel() : null;
			if (ready != null) {
				probes.add(new BreakerPicker.Probe(tracker, ready));
			}
		}
		Status allOutStatus = null;
		if (allOut && state == ConnectivityState.TRANSIENT_FAILURE) {
			Map<String, CircuitBreaker.State> states = new TreeMap<>();
			this.trackers.values().forEach((tracker) -> states.put(tracker.name, tracker.entry.breaker.getState()));
			allOutStatus = Status.UNAVAILABLE.withDescription("Every instance of service '" + serviceName
					+ "' is out of load balancing because its circuit breaker is not closed: " + states);
		}
		return new BreakerPicker(childPicker, List.copyOf(probes), Math.max(1, wrapped), allOutStatus);
	}

	/** Stops: lets go of every instance's breaker; nothing is wrapped or reconciled any more. */
	void shutdown() {
		this.shutdown = true;
		for (InstanceTracker tracker : List.copyOf(this.trackers.values())) {
			tracker.cancelProbeTimer();
			tracker.release();
		}
		this.trackers.clear();
	}

}
