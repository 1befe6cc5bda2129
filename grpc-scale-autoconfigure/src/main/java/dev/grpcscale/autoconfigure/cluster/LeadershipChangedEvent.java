package dev.grpcscale.autoconfigure.cluster;

import dev.grpcscale.cluster.LeaderElection;

/**
 * A change of this node's leadership, published as a Spring application event: either a
 * {@link LeadershipGrantedEvent} or a {@link LeadershipRevokedEvent}. Renewals are not published.
 *
 * <p>Events are published off the election's thread, on a listener thread of the election
 * ({@code grpc-scale-cluster-events-<nodeId>-<n>}), one at a time and in order: a slow {@code @EventListener}
 * delays later events but never the election's renewals or the revocation of a
 * {@code dev.grpcscale.cluster.LeaderTask}; still, hand long work to an executor (or use {@code @Async}), or run
 * it with a {@code LeaderTask}.
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
