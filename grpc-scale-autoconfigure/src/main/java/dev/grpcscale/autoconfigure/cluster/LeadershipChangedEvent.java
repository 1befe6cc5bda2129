package dev.grpcscale.autoconfigure.cluster;

import dev.grpcscale.cluster.LeaderElection;

/**
 * A change of this node's leadership, published as a Spring application event: either a
 * {@link LeadershipGrantedEvent} or a {@link LeadershipRevokedEvent}. Renewals are not published.
 *
 * <p>Events are published on the election's own thread ({@code grpc-scale-cluster-<nodeId>}), one at a time
 * and in order: an {@code @EventListener} must return quickly; hand long work to an executor (or use
 * {@code @Async}), or run it with {@code dev.grpcscale.cluster.LeaderTask}.
 * {@link LeaderElection#isLeader()} does not wait for listeners: it can turn false before the
 * {@code LeadershipRevokedEvent} is delivered.
 */
public abstract sealed class LeadershipChangedEvent extends org.springframework.context.ApplicationEvent
		permits LeadershipGrantedEvent, LeadershipRevokedEvent {

	private static final long serialVersionUID = 1L;

	private final String nodeId;

	private final long fencingToken;

	LeadershipChangedEvent(LeaderElection election, String nodeId, long fencingToken) {
		super(election);
		this.nodeId = nodeId;
		this.fencingToken = fencingToken;
	}

	/** The election whose leadership changed. */
	public LeaderElection getElection() {
		return (LeaderElection) getSource();
	}

	/** This node's id. */
	public String getNodeId() {
		return this.nodeId;
	}

	/**
	 * The fencing token of the leadership concerned: pass it to downstream writes, which reject a token lower
	 * than one they have seen.
	 */
	public long getFencingToken() {
		return this.fencingToken;
	}

	@Override
	public String toString() {
		return getClass().getSimpleName() + "[nodeId=" + this.nodeId + ", fencingToken=" + this.fencingToken + "]";
	}

}
