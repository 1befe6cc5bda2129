package dev.grpcscale.circuitbreaker;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelStateListener;
import io.grpc.Status;
import io.grpc.util.ForwardingSubchannel;
import org.jspecify.annotations.Nullable;

/**
 * A subchannel of a discovered instance, as the child policy of a {@link CircuitBreakerLoadBalancer} sees it:
 * while the instance is ejected it tells the child the subchannel is in {@code TRANSIENT_FAILURE}, and when
 * the instance rejoins it replays the real state. Its connection stays up meanwhile. Runs in the channel's
 * {@code SynchronizationContext}, but for {@link #countedPick}, which pickers read.
 */
final class BreakerSubchannel extends ForwardingSubchannel {

	private final Subchannel delegate;

	final InstanceTracker tracker;

	private @Nullable SubchannelStateListener listener;

	ConnectivityStateInfo realState = ConnectivityStateInfo.forNonError(ConnectivityState.IDLE);

	/** Whether the child was last told of the ejection rather than of the real state. */
	private boolean hidden;

	/** The pick of this subchannel counted in its instance's breaker, for a child's plain pick of it. */
	final PickResult countedPick;

	BreakerSubchannel(Subchannel delegate, InstanceTracker tracker) {
		this.delegate = delegate;
		this.tracker = tracker;
		this.countedPick = PickResult.withSubchannel(this, new CountingTracerFactory(tracker, null, null));
	}

	@Override
	protected Subchannel delegate() {
		return this.delegate;
	}

	@Override
	public void start(SubchannelStateListener listener) {
		this.listener = listener;
		this.delegate.start((state) -> {
			ConnectivityState before = this.realState.getState();
			this.realState = state;
			if (!this.hidden) {
				listener.onSubchannelState(state);
			}
			else if (before != state.getState() && this.tracker.probing) {
				if (state.getState() == ConnectivityState.IDLE) {
					this.delegate.requestConnection();
				}
				this.tracker.publish();
			}
		});
		if (this.tracker.ejected) {
			// tell the child after its own start() returned, not from inside it
			this.tracker.execute(this::updateEjection);
		}
	}

	/** Tells the child of the ejection, or of the real state again, if that changed since it was last told. */
	void updateEjection() {
		SubchannelStateListener current = this.listener;
		if (current == null || this.hidden == this.tracker.ejected) {
			return;
		}
		this.hidden = this.tracker.ejected;
		if (this.hidden) {
			current.onSubchannelState(ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE
				.withDescription("Instance '" + this.tracker.name + "' is out of load balancing: its circuit breaker is "
						+ this.tracker.entry.breaker.getState())));
		}
		else {
			current.onSubchannelState(this.realState);
		}
	}

	@Override
	public void shutdown() {
		this.tracker.removed(this);
		super.shutdown();
	}

	@Override
	public String toString() {
		return "BreakerSubchannel{" + this.tracker.name + ", " + this.delegate + "}";
	}

}
