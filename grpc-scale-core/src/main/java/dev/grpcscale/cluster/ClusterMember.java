package dev.grpcscale.cluster;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * One node of the cluster as this node sees it, in {@link LeaderElection#members()} and
 * {@link ClusterInfo#nodes()}.
 *
 * <p>The last heartbeat is the member's own wall-clock time; its status compares it with this node's
 * clock, so clock skew between machines shifts the status by the skew.
 *
 * @param nodeId the member's id
 * @param address the address it announced, {@code ""} if none or unknown
 * @param lastHeartbeat when it last announced itself, {@code null} for an expected node never heard from
 * @param status how recently it was heard from
 */
public record ClusterMember(String nodeId, String address, @Nullable Instant lastHeartbeat, MemberStatus status) {

	/** Checks the arguments. */
	public ClusterMember {
		Objects.requireNonNull(nodeId, "nodeId");
		Objects.requireNonNull(address, "address");
		Objects.requireNonNull(status, "status");
	}

}
