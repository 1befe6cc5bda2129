package dev.grpcscale.autoconfigure.cluster;

import dev.grpcscale.cluster.LeaderElection;

/**
 * This node became the leader of its election, with {@link #getFencingToken()}, which is higher than every
 * earlier leader's. See {@link LeadershipChangedEvent} for the threading rules.
 */
public final class LeadershipGrantedEvent extends LeadershipChangedEvent {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the event.
	 * @param election the election
	 * @param nodeId this node's id
	 * @param fencingToken the token of the new leadership
	 */
	public LeadershipGrantedEvent(LeaderElection election, String nodeId, long fencingToken) {
		super(election, nodeId, fencingToken);
	}

}
