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
 * @param role the member's role in the backend's consensus where the provider has one (raft: {@code LEADER},
 * {@code FOLLOWER}, {@code CANDIDATE}, as this node last learned it), {@code null} where it has none or it is
 * unknown
 */
public record ClusterMember(String nodeId, String address, @Nullable Instant lastHeartbeat, MemberStatus status,
		@Nullable String role) {

	/** Checks the arguments. */
	public ClusterMember {
		Objects.requireNonNull(nodeId, "nodeId");
		Objects.requireNonNull(address, "address");
		Objects.requireNonNull(status, "status");
	}

	/**
	 * A member of a provider without roles.
	 * @param nodeId the member's id
	 * @param address the address it announced, {@code ""} if none or unknown
	 * @param lastHeartbeat when it last announced itself, {@code null} for an expected node never heard from
	 * @param status how recently it was heard from
	 */
	public ClusterMember(String nodeId, String address, @Nullable Instant lastHeartbeat, MemberStatus status) {
		this(nodeId, address, lastHeartbeat, status, null);
	}

}
