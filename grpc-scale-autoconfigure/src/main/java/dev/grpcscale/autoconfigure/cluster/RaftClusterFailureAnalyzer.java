package dev.grpcscale.autoconfigure.cluster;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

import dev.grpcscale.cluster.raft.RaftStartupException;

/**
 * Reports a Raft server of provider {@code raft} that could not start: an unwritable
 * {@code grpc.scale.cluster.raft.storage-dir}, or a Raft port already in use, with the keys to change.
 */
class RaftClusterFailureAnalyzer extends AbstractFailureAnalyzer<RaftStartupException> {

	private static final String PREFIX = "grpc.scale.cluster.";

	private final Environment environment;

	RaftClusterFailureAnalyzer(Environment environment) {
		this.environment = environment;
	}

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, RaftStartupException cause) {
		String nodeId = this.environment.getProperty(PREFIX + "node-id", "(unset)");
		StringBuilder description = new StringBuilder(
				String.format("The Raft server of cluster node '%s' could not start.%n%n", nodeId));
		String action;
		if (cause.reason() == RaftStartupException.Reason.PORT_IN_USE) {
			description.append(String.format("    %s: %s%n", PREFIX + "raft.bind-address",
					this.environment.getProperty(PREFIX + "raft.bind-address", "(unset: the host of this node's entry)")));
			description.append(String.format("    %s: %s%n", PREFIX + "nodes",
					this.environment.getProperty(PREFIX + "nodes", "")));
			action = "Free the port of this node's entry in " + PREFIX + "nodes (another process, or another node "
					+ "on this host, listens on it), or give this node another port in " + PREFIX + "nodes on every "
					+ "node, or bind another address with " + PREFIX + "raft.bind-address. See docs/cluster.md.";
		}
		else {
			description.append(String.format("    %s: %s%n", PREFIX + "raft.storage-dir", this.environment
				.getProperty(PREFIX + "raft.storage-dir", "(unset: grpc-scale-raft/<node-id> under the working directory)")));
			action = "Set " + PREFIX + "raft.storage-dir to a directory this process can create and write, and keep "
					+ "it across restarts: it holds this node's Raft term, vote and log. See docs/cluster.md.";
		}
		description.append(String.format("    Failure: %s", cause.getMessage()));
		return new FailureAnalysis(description.toString(), action, cause);
	}

}
