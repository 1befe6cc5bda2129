package dev.grpcscale.cluster;

import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A snapshot of the cluster as this node sees it, from {@link LeaderElection#clusterInfo()} and
 * {@code EnhancedServiceManager.getClusterInfo()}.
 *
 * @param provider the backend, for example {@code memory} or {@code etcd}
 * @param nodeId this node's id
 * @param nodes the announced members and the expected nodes, by node id
 * @param leader the current leader as last observed, {@code null} if none is known
 * @param isLeader whether this node is leader now (see {@link LeaderElection#isLeader()})
 * @param ownFencingToken the token of this node's own current leadership, {@code 0} when it does not lead
 * (see {@link LeaderElection#ownFencingToken()}): the one to fence writes with
 * @param highestFencingTokenSeen the highest token this node has seen, its own or another leader's,
 * {@code 0} before any (see {@link LeaderElection#highestFencingTokenSeen()}): for monitoring only, never to
 * fence with
 */
public record ClusterInfo(String provider, String nodeId, List<ClusterMember> nodes, @Nullable LeaderInfo leader,
		boolean isLeader, long ownFencingToken, long highestFencingTokenSeen) {

	/** Checks the arguments and copies the list. */
	public ClusterInfo {
		Objects.requireNonNull(provider, "provider");
		Objects.requireNonNull(nodeId, "nodeId");
		nodes = List.copyOf(nodes);
	}

	/**
	 * The token to fence writes with: now {@link #ownFencingToken()}.
	 * @return {@link #ownFencingToken()}
	 * @deprecated it used to be the current leader's token as observed (on a follower or deposed node, another
	 * node's), which defeats fencing; use {@link #ownFencingToken()} to fence and
	 * {@link #highestFencingTokenSeen()} for monitoring
	 */
	@Deprecated(since = "0.1", forRemoval = true)
	public long fencingToken() {
		return this.ownFencingToken;
	}

}
