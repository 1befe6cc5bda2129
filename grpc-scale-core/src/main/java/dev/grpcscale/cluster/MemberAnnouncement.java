package dev.grpcscale.cluster;

import java.time.Instant;
import java.util.Objects;

/**
 * What a node announces about itself to the cluster on every heartbeat, as a provider stores it. Providers
 * return these from {@link AbstractLeaderElection#announcedMembers()}; users see
 * {@link ClusterMember}s, which add a status.
 *
 * @param nodeId the node's id
 * @param address the address it announces (for example {@code 10.0.0.7:9090}), {@code ""} if none
 * @param lastHeartbeat the node's wall-clock time at its last heartbeat
 */
public record MemberAnnouncement(String nodeId, String address, Instant lastHeartbeat) {

	/** Checks the arguments. */
	public MemberAnnouncement {
		Objects.requireNonNull(nodeId, "nodeId");
		Objects.requireNonNull(address, "address");
		Objects.requireNonNull(lastHeartbeat, "lastHeartbeat");
	}

}
