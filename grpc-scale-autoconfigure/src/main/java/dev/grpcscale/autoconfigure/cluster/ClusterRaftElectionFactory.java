package dev.grpcscale.autoconfigure.cluster;

import java.nio.file.Path;
import java.util.List;

import dev.grpcscale.autoconfigure.GrpcScaleClusterProperties;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.raft.RaftLeaderElection;
import dev.grpcscale.cluster.raft.RaftNode;

/**
 * Builds the {@link RaftLeaderElection} of {@code grpc.scale.cluster.*}, validated when it was bound: the nodes
 * from {@code nodes} ({@code id=host:port}), {@code raft.storage-dir} and {@code raft.bind-address}.
 */
final class ClusterRaftElectionFactory {

	private ClusterRaftElectionFactory() {
	}

	static RaftLeaderElection create(GrpcScaleClusterProperties properties, LeaderElectionSettings settings) {
		List<RaftNode> nodes = properties.getNodes().stream().map(RaftNode::parse).toList();
		RaftLeaderElection.Builder builder = RaftLeaderElection.builder().settings(settings).nodes(nodes);
		GrpcScaleClusterProperties.Raft raft = properties.getRaft();
		if (!raft.getStorageDir().isEmpty()) {
			builder.storageDir(Path.of(raft.getStorageDir()));
		}
		if (!raft.getBindAddress().isEmpty()) {
			builder.bindAddress(raft.getBindAddress());
		}
		return builder.build();
	}

}
