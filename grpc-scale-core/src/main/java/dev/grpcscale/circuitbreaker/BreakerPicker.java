package dev.grpcscale.circuitbreaker;

import java.util.List;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/**
 * The picker a {@link CircuitBreakerLoadBalancer} hands the channel: gives the trial call of a probing instance
 * first, then picks from the child, skipping an instance whose breaker has just opened and whose ejection is
 * still on its way, and counts the call in the picked instance's breaker. Thread-safe, immutable but for the
 * trackers' trial flags.
 */
final class BreakerPicker extends SubchannelPicker {

	private final SubchannelPicker childPicker;

	private final List<Probe> probes;

	private final int maxPicks;

	private final @Nullable Status allOutStatus;

	/**
	 * Creates the picker.
	 * @param childPicker the child policy's latest picker
	 * @param probes the instances offered for a trial call, each with a {@code READY} subchannel
	 * @param maxPicks how many times the child is asked before the pick waits for a new picker
	 * @param allOutStatus the error of a failing pick when every instance is ejected, or {@code null}
	 */
	BreakerPicker(SubchannelPicker childPicker, List<Probe> probes, int maxPicks, @Nullable Status allOutStatus) {
		this.childPicker = childPicker;
		this.probes = probes;
		this.maxPicks = maxPicks;
		this.allOutStatus = allOutStatus;
	}

	@Override
	public PickResult pickSubchannel(PickSubchannelArgs args) {
		boolean counted = !CircuitBreakerClientInterceptor.isHealthCheck(args.getMethodDescriptor())
				&& !args.getCallOptions().getOption(CallAttribution.NOT_COUNTED);
		for (int i = 0; counted && i < this.probes.size(); i++) {
			Probe probe = this.probes.get(i);
			PickResult trial = pickTrial(probe);
			if (trial != null) {
				return trial;
			}
		}
		for (int i = 0; i < this.maxPicks; i++) {
			PickResult result = this.childPicker.pickSubchannel(args);
			Subchannel subchannel = result.getSubchannel();
			if (!(subchannel instanceof BreakerSubchannel wrapped)) {
				if (this.allOutStatus != null && !result.getStatus().isOk() && !result.isDrop()) {
					return PickResult.withError(this.allOutStatus);
				}
				return result;
			}
			if (isClosed(wrapped.tracker.entry.breaker.getState())) {
				if (!counted) {
					return result;
				}
				if (result.getStreamTracerFactory() == null && result.getAuthorityOverride() == null) {
					// the child's plain pick: the same counted pick every time, nothing allocated per call
					return wrapped.countedPick;
				}
				return result.copyWithStreamTracerFactory(
						new CountingTracerFactory(wrapped.tracker, null, result.getStreamTracerFactory()));
			}
		}
		// the breakers just opened: their ejection will hand the channel a new picker
		return PickResult.withNoResult();
	}

	private @Nullable PickResult pickTrial(Probe probe) {
		InstanceTracker tracker = probe.tracker();
		if (!tracker.trialInFlight.compareAndSet(false, true)) {
			return null;
		}
		if (!tracker.entry.tryAcquirePermission()) {
			tracker.trialInFlight.set(false);
			if (tracker.entry.breaker.getState() == CircuitBreaker.State.OPEN) {
				// the breaker's clock has not reached the timeout yet: wait another one
				tracker.trialRefused();
			}
			return null;
		}
		TrialPick trial = new TrialPick(tracker);
		tracker.guard(trial);
		return PickResult.withSubchannel(probe.subchannel(), new CountingTracerFactory(tracker, trial, null));
	}

	private static boolean isClosed(CircuitBreaker.State state) {
		return state == CircuitBreaker.State.CLOSED || state == CircuitBreaker.State.DISABLED
				|| state == CircuitBreaker.State.METRICS_ONLY;
	}

	/** A probing instance and its {@code READY} subchannel the trial call goes to. */
	record Probe(InstanceTracker tracker, BreakerSubchannel subchannel) {
	}

}
