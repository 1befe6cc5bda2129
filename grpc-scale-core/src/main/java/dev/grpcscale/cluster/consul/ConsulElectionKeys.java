package dev.grpcscale.cluster.consul;

import dev.grpcscale.cluster.LeaderElectionSettings;

/**
 * The KV keys of one node in a {@link ConsulLeaderElection}, under {@code <namespace>/cluster/<electionName>/}
 * (the namespace without leading or trailing {@code /}; none when it is empty): the {@code leader} key campaigned
 * for, and {@code members/<nodeId>}, this node's announcement.
 *
 * @param prefix {@code <namespace>/cluster/<electionName>/}
 * @param leader {@code <prefix>leader}
 * @param membersPrefix {@code <prefix>members/}
 * @param member {@code <prefix>members/<nodeId>}
 */
record ConsulElectionKeys(String prefix, String leader, String membersPrefix, String member) {

	/** The keys of the settings' node in the settings' election. */
	static ConsulElectionKeys of(LeaderElectionSettings settings) {
		String namespace = strip(settings.namespace());
		String prefix = (namespace.isEmpty() ? "" : namespace + "/") + "cluster/" + settings.electionName() + "/";
		String membersPrefix = prefix + "members/";
		return new ConsulElectionKeys(prefix, prefix + "leader", membersPrefix, membersPrefix + settings.nodeId());
	}

	/** Whether {@code key} is a member announcement of this election. */
	boolean isMember(String key) {
		return key.startsWith(this.membersPrefix);
	}

	private static String strip(String namespace) {
		String stripped = namespace;
		while (stripped.startsWith("/")) {
			stripped = stripped.substring(1);
		}
		while (stripped.endsWith("/")) {
			stripped = stripped.substring(0, stripped.length() - 1);
		}
		return stripped;
	}

}
