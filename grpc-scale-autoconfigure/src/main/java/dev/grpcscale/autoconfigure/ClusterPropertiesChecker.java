package dev.grpcscale.autoconfigure;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.kubernetes.LeaseNames;

/**
 * Checks {@code grpc.scale.cluster.*}: the provider and its libraries, the election name, node id and nodes,
 * the heartbeat against the election timeout, and the keys of the provider in use (Raft's group and bind
 * address, the Kubernetes Lease, the etcd connection keys set here, the Consul connection and lock delay).
 * Reports to the shared {@link PropertyProblems}; part of {@link GrpcScalePropertiesValidator}.
 */
final class ClusterPropertiesChecker {

	/** Keys of the cluster that were bound but never used, and what to set instead. */
	static final Map<String, String> REMOVED_KEYS = Map.of("etcd.lease-ttl",
			"grpc.scale.cluster.election-timeout (the TTL of the election's lease)", "etcd.request-timeout",
			"grpc.scale.cluster.election-timeout (the bound of the election's requests)");

	private static final Duration MAX_LOCK_DELAY = Duration.ofSeconds(60);

	private final PropertyProblems problems;

	private final BackendClientPropertiesChecker clients;

	/**
	 * A checker reporting to the given problems.
	 * @param problems where every invalid value is reported
	 * @param clients the checker of the backends' connections
	 */
	ClusterPropertiesChecker(PropertyProblems problems, BackendClientPropertiesChecker clients) {
		this.problems = problems;
		this.clients = clients;
	}

	/**
	 * Checks the cluster.
	 * @param cluster the bound properties
	 * @param applicationName {@code spring.application.name}, the default election name
	 * @param defaultProvider the provider when {@code grpc.scale.cluster.provider} is unset
	 */
	void check(GrpcScaleClusterProperties cluster, @Nullable String applicationName,
			GrpcScaleClusterProperties.Provider defaultProvider) {
		GrpcScaleClusterProperties.Provider effective = (cluster.getProvider() != null) ? cluster.getProvider()
				: defaultProvider;
		this.clients.requireClasses("provider", effective.name().toLowerCase(Locale.ROOT));
		String electionName = (cluster.getElectionName() != null) ? cluster.getElectionName()
				: (applicationName != null && !applicationName.isBlank()) ? applicationName : null;
		if (electionName != null && !PropertyProblems.isName(electionName)) {
			this.problems.add("election-name", electionName, PropertyProblems.NAME_EXPECTED
					+ ((cluster.getElectionName() == null) ? "; it defaults to spring.application.name" : ""));
		}
		boolean heartbeatOk = this.problems.positive("heartbeat-interval", cluster.getHeartbeatInterval());
		boolean electionOk = this.problems.positive("election-timeout", cluster.getElectionTimeout());
		boolean timingOk = heartbeatOk && electionOk;
		if (timingOk && cluster.getHeartbeatInterval().compareTo(cluster.getElectionTimeout()) >= 0) {
			timingOk = false;
			this.problems.add("heartbeat-interval", cluster.getHeartbeatInterval(),
					"less than grpc.scale.cluster.election-timeout (" + cluster.getElectionTimeout() + ")");
		}
		String nodeId = cluster.getNodeId();
		if (nodeId != null && !PropertyProblems.isName(nodeId)) {
			this.problems.add("node-id", nodeId, PropertyProblems.NAME_EXPECTED);
		}
		boolean raft = effective == GrpcScaleClusterProperties.Provider.RAFT;
		Set<String> ids = nodes(cluster.getNodes(), raft);
		if (raft) {
			raft(cluster, nodeId, ids);
		}
		if (effective == GrpcScaleClusterProperties.Provider.KUBERNETES) {
			kubernetes(cluster, electionName);
		}
		if (effective == GrpcScaleClusterProperties.Provider.ETCD) {
			// the keys set here; those inherited from discovery are checked under their own keys
			this.clients.inheritingEtcdConnection("etcd.", cluster.getEtcd());
		}
		if (effective == GrpcScaleClusterProperties.Provider.CONSUL) {
			consul(cluster, timingOk);
		}
	}

	/** Checks each node entry, returning the ids of the valid ones. */
	private Set<String> nodes(List<String> nodes, boolean raft) {
		Set<String> ids = new HashSet<>();
		for (int i = 0; i < nodes.size(); i++) {
			String node = nodes.get(i);
			String key = "nodes[" + i + "]";
			if (node == null || node.indexOf('=') < 0) {
				if (raft) {
					this.problems.add(key, node, "id=host:port with provider raft (the node id, then the address of "
							+ "its Raft server), for example orders-1=10.0.0.7:9871");
				}
				else if (!PropertyProblems.isName(node)) {
					this.problems.add(key, node, "a node id: " + PropertyProblems.NAME_EXPECTED);
				}
				else {
					ids.add(node);
				}
				continue;
			}
			String id = GrpcScaleClusterProperties.nodeId(node);
			String address = node.substring(node.indexOf('=') + 1).trim();
			if (!PropertyProblems.isName(id)) {
				this.problems.add(key, node, "id=host:port, the id: " + PropertyProblems.NAME_EXPECTED);
			}
			else if (!isHostPort(address)) {
				this.problems.add(key, node, "id=host:port, the port 1 to 65535");
			}
			else if (!ids.add(id) && raft) {
				this.problems.add(key, node, "unique node ids; '" + id + "' is listed twice");
			}
		}
		return ids;
	}

	private void raft(GrpcScaleClusterProperties cluster, @Nullable String nodeId, Set<String> ids) {
		if (cluster.getNodes().isEmpty()) {
			this.problems.add("nodes", "[]",
					"the Raft group's members as id=host:port, this node included, with provider raft");
		}
		else if (nodeId == null) {
			this.problems.add("node-id", null,
					"this node's id, one of those in grpc.scale.cluster.nodes, with provider raft");
		}
		else if (PropertyProblems.isName(nodeId) && !ids.contains(nodeId)) {
			this.problems.add("node-id", nodeId,
					"one of the ids in grpc.scale.cluster.nodes " + ids + " with provider raft");
		}
		String bindAddress = cluster.getRaft().getBindAddress();
		boolean hostPort = bindAddress.chars().filter((c) -> c == ':').count() == 1;
		if (!bindAddress.isEmpty() && (bindAddress.isBlank() || hostPort)) {
			this.problems.add("raft.bind-address", bindAddress,
					"a host name or IP literal without port (the port is that of this node's nodes entry)");
		}
	}

	private void kubernetes(GrpcScaleClusterProperties cluster, @Nullable String electionName) {
		String namespace = cluster.getKubernetes().getNamespace();
		if (namespace != null && !PropertyProblems.isDnsLabel(namespace)) {
			this.problems.add("kubernetes.namespace", namespace,
					"a Kubernetes namespace: at most 63 characters of a-z, 0-9 and '-', beginning and ending with a "
							+ "letter or digit");
		}
		if (electionName != null && PropertyProblems.isName(electionName)) {
			try {
				LeaseNames.leaseName(LeaderElectionSettings.DEFAULT_NAMESPACE + "/" + electionName);
			}
			catch (IllegalArgumentException ex) {
				this.problems.add("election-name", electionName, "a name that gives a Lease name with provider "
						+ "kubernetes: 'grpc-scale-' and the name lower-cased, every character other than a-z, 0-9 "
						+ "and '-' as '-', at most 63 characters, ending with a letter or digit"
						+ ((cluster.getElectionName() == null) ? "; it defaults to spring.application.name" : ""));
			}
		}
	}

	/**
	 * Checks the Consul connection and the lock delay.
	 * @param timingOk whether the heartbeat interval and election timeout are valid
	 */
	private void consul(GrpcScaleClusterProperties cluster, boolean timingOk) {
		GrpcScaleClusterProperties.Consul consul = cluster.getConsul();
		this.clients.consulConnection("consul.", consul);
		Duration delay = consul.getLockDelay();
		if (delay != null && (delay.isNegative() || delay.compareTo(MAX_LOCK_DELAY) > 0)) {
			this.problems.add("consul.lock-delay", delay, ">= 0 and <= " + MAX_LOCK_DELAY + ", Consul's maximum");
		}
		else if (delay != null && timingOk && consul.getRequestTimeout() != null
				&& !consul.getRequestTimeout().isNegative()) {
			// ConsulLeaderElection.minimumLockDelay, without loading the Consul classes
			Duration leaseValidity = LeaderElectionSettings.builder()
				.heartbeatInterval(cluster.getHeartbeatInterval())
				.electionTimeout(cluster.getElectionTimeout())
				.build()
				.leaseValidity();
			Duration notice = cluster.getHeartbeatInterval().plus(consul.getRequestTimeout());
			Duration minimum = (notice.compareTo(leaseValidity) < 0) ? notice : leaseValidity;
			if (delay.compareTo(minimum) < 0) {
				this.problems.add("consul.lock-delay", delay, ">= " + minimum
						+ " = min(heartbeat-interval + request-timeout, election-timeout - safety margin): a leader "
						+ "whose session is destroyed behind its back notices only at its next renewal and stops "
						+ "claiming leadership after election-timeout - safety margin at the latest; unset, the "
						+ "minimum rounded up to whole seconds");
			}
		}
	}

	private static boolean isHostPort(String address) {
		int colon = address.lastIndexOf(':');
		if (colon <= 0 || colon == address.length() - 1) {
			return false;
		}
		try {
			int port = Integer.parseInt(address.substring(colon + 1));
			return PropertyProblems.isPort(port) && !address.substring(0, colon).isBlank();
		}
		catch (NumberFormatException ex) {
			return false;
		}
	}

}
