package dev.grpcscale.cluster;

import java.util.Objects;

/**
 * The leader of an election as a node knows it.
 *
 * @param nodeId the leader's node id
 * @param address the address the leader announced, {@code ""} if none
 * @param fencingToken the leader's fencing token: it grows from one leader to the next
 */
public record LeaderInfo(String nodeId, String address, long fencingToken) {

	/** Checks the arguments. */
	public LeaderInfo {
		Objects.requireNonNull(nodeId, "nodeId");
		Objects.requireNonNull(address, "address");
	}

}
