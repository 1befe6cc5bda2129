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
 * @param fencingToken the current leader's fencing token if a leader is known, else the highest token this
 * node has seen, {@code 0} before any
 */
public record ClusterInfo(String provider, String nodeId, List<ClusterMember> nodes, @Nullable LeaderInfo leader,
		boolean isLeader, long fencingToken) {

	/** Checks the arguments and copies the list. */
	public ClusterInfo {
		Objects.requireNonNull(provider, "provider");
		Objects.requireNonNull(nodeId, "nodeId");
		nodes = List.copyOf(nodes);
	}

}
