package dev.grpcscale.autoconfigure.cluster;

import dev.grpcscale.cluster.LeaderElection;

/**
 * This node is no longer the leader: it left the election (graceful shutdown), its lease lapsed, or the
 * backend reported its session lost. {@link #getFencingToken()} is the token of the leadership that ended.
 * See {@link LeadershipChangedEvent} for the threading rules.
 */
public final class LeadershipRevokedEvent extends LeadershipChangedEvent {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the event.
	 * @param election the election
	 * @param nodeId this node's id
	 * @param fencingToken the token of the leadership that ended
	 */
	public LeadershipRevokedEvent(LeaderElection election, String nodeId, long fencingToken) {
		super(election, nodeId, fencingToken);
	}

}
