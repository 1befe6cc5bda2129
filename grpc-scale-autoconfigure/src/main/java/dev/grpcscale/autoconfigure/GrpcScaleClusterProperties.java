package dev.grpcscale.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Clustering and leader election, bound from {@code grpc.scale.cluster.*}.
 *
 * <p>Validated once, as Boot's binder binds it ({@link SelfValidatingProperties}).
 */
@ConfigurationProperties("grpc.scale.cluster")
public class GrpcScaleClusterProperties extends SelfValidatingProperties {

	/** Whether this application joins a cluster. */
	private boolean enabled = true;

	/** This node's id. Defaults to a random id. */
	private @Nullable String nodeId;

	/**
	 * The cluster's nodes, this one included. Each entry is a node id, shown beside the live members in the
	 * status, or 'id=host:port', the form provider 'raft' requires: the members of the Raft group and the
	 * address of each one's Raft server (not the gRPC port). Every node lists the same node ids.
	 */
	private List<String> nodes = new ArrayList<>();

	/** Whether this node campaigns for leadership. */
	private boolean leaderElection = true;

	/** How often this node renews its membership and leadership lease. */
	private Duration heartbeatInterval = Duration.ofSeconds(5);

	/** How long a dead leader keeps leadership before another node may take it. */
	private Duration electionTimeout = Duration.ofSeconds(15);

	/**
	 * Cluster backend: 'memory' (in this JVM), 'etcd', 'consul', 'raft' (a Raft group of the nodes listed
	 * in 'nodes', no coordinator) or 'kubernetes' (a coordination.k8s.io/v1 Lease). Unset: the discovery backend when it is shared by the fleet (etcd, consul, kubernetes);
	 * else 'raft' when 'nodes' lists another node than this one and every entry is 'id=host:port'; else
	 * memory.
	 */
	private @Nullable Provider provider;

	/**
	 * Name of the election this node takes part in; nodes with the same name (and backend namespace)
	 * compete for one leadership. Defaults to 'spring.application.name', so different applications do
	 * not share an election.
	 */
	private @Nullable String electionName;

	/**
	 * Address this node announces to the cluster, for example 10.0.0.7:9090. Defaults to the host:port
	 * the gRPC server serves on (that of the first service registered with discovery), the node then
	 * joining the cluster once the server has started; empty without a gRPC server on a network port.
	 */
	private String address = "";

	/**
	 * etcd for provider 'etcd': the connection keys of grpc.scale.service-discovery.etcd (endpoints,
	 * namespace, credentials, TLS); every key not set here takes the value of
	 * grpc.scale.service-discovery.etcd. The cluster has no lease-ttl nor request-timeout of its own: its
	 * lease TTL and request bound are election-timeout.
	 */
	private final GrpcScaleDiscoveryProperties.EtcdConnection etcd = new GrpcScaleDiscoveryProperties.EtcdConnection();

	/**
	 * Consul for provider 'consul': every key not set here takes the value of
	 * grpc.scale.service-discovery.consul (lock-delay excepted, which only the cluster has).
	 */
	private final Consul consul = new Consul();

	/** Raft for provider 'raft': where this node keeps Raft's durable state, and the address it binds. */
	private final Raft raft = new Raft();

	/** Kubernetes for provider 'kubernetes': where the election's Leases live. */
	private final Kubernetes kubernetes = new Kubernetes();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public @Nullable String getNodeId() {
		return this.nodeId;
	}

	public void setNodeId(@Nullable String nodeId) {
		this.nodeId = nodeId;
	}

	public List<String> getNodes() {
		return this.nodes;
	}

	public void setNodes(List<String> nodes) {
		this.nodes = nodes;
	}

	public boolean isLeaderElection() {
		return this.leaderElection;
	}

	public void setLeaderElection(boolean leaderElection) {
		this.leaderElection = leaderElection;
	}

	public Duration getHeartbeatInterval() {
		return this.heartbeatInterval;
	}

	public void setHeartbeatInterval(Duration heartbeatInterval) {
		this.heartbeatInterval = heartbeatInterval;
	}

	public Duration getElectionTimeout() {
		return this.electionTimeout;
	}

	public void setElectionTimeout(Duration electionTimeout) {
		this.electionTimeout = electionTimeout;
	}

	public @Nullable Provider getProvider() {
		return this.provider;
	}

	public void setProvider(@Nullable Provider provider) {
		this.provider = provider;
	}

	/**
	 * The backend the election runs on: {@code grpc.scale.cluster.provider} if set; otherwise that of
	 * enabled discovery when the fleet shares it ({@code etcd}, {@code consul}, {@code kubernetes}), so that one election spans
	 * every instance; otherwise {@code raft} when {@code nodes} lists another node than {@code node-id} and every
	 * entry has the {@code id=host:port} form (entries of plain ids keep the memory election they always
	 * had); otherwise {@code memory}.
	 * @param environment where the properties are read
	 * @return the backend
	 */
	public static Provider effectiveProvider(Environment environment) {
		Binder binder = Binder.get(environment);
		Provider configured = binder.bind("grpc.scale.cluster.provider", Provider.class).orElse(null);
		if (configured != null) {
			return configured;
		}
		if (binder.bind("grpc.scale.service-discovery.enabled", Boolean.class).orElse(true)) {
			switch (binder.bind("grpc.scale.service-discovery.provider", GrpcScaleDiscoveryProperties.Provider.class)
				.orElse(GrpcScaleDiscoveryProperties.Provider.MEMORY)) {
				case ETCD:
					return Provider.ETCD;
				case CONSUL:
					return Provider.CONSUL;
				case KUBERNETES:
					return Provider.KUBERNETES;
				default:
					break;
			}
		}
		List<String> nodes = binder.bind("grpc.scale.cluster.nodes", Bindable.listOf(String.class)).orElse(List.of());
		String nodeId = binder.bind("grpc.scale.cluster.node-id", String.class).orElse(null);
		boolean others = nodes.stream().anyMatch((node) -> node != null && !nodeId(node).equals(nodeId));
		boolean addressed = nodes.stream().allMatch((node) -> node != null && node.indexOf('=') > 0);
		return (others && addressed) ? Provider.RAFT : Provider.MEMORY;
	}

	public @Nullable String getElectionName() {
		return this.electionName;
	}

	public void setElectionName(@Nullable String electionName) {
		this.electionName = electionName;
	}

	public String getAddress() {
		return this.address;
	}

	public void setAddress(String address) {
		this.address = address;
	}

	public GrpcScaleDiscoveryProperties.EtcdConnection getEtcd() {
		return this.etcd;
	}

	public Consul getConsul() {
		return this.consul;
	}

	public Raft getRaft() {
		return this.raft;
	}

	public Kubernetes getKubernetes() {
		return this.kubernetes;
	}

	@Override
	void validateWith(GrpcScalePropertiesValidator validator) {
		GrpcScalePropertiesValidator.validate(this, validator);
	}

	/**
	 * Connection to a Consul agent for leader election: the client keys of
	 * grpc.scale.service-discovery.consul, plus the sessions' lock delay.
	 */
	public static class Consul extends GrpcScaleDiscoveryProperties.ConsulConnection {

		/**
		 * Lock delay of the election's sessions, up to 60s: after a session is invalidated (TTL expiry or
		 * destroy, not a graceful leave), no node may take leadership for this long; it adds to failover
		 * after a crash. At least min(heartbeat-interval + request-timeout, election-timeout - safety
		 * margin); unset, that minimum rounded up to whole seconds (14s with the defaults).
		 */
		private @Nullable Duration lockDelay;

		public @Nullable Duration getLockDelay() {
			return this.lockDelay;
		}

		public void setLockDelay(@Nullable Duration lockDelay) {
			this.lockDelay = lockDelay;
		}

	}

	/**
	 * The node id of a {@code nodes} entry: the entry itself, or what precedes {@code =} in
	 * {@code id=host:port}.
	 * @param entry the entry
	 * @return the node id
	 */
	public static String nodeId(String entry) {
		int equals = entry.indexOf('=');
		return ((equals >= 0) ? entry.substring(0, equals) : entry).trim();
	}

	/** Raft settings of this node, for provider 'raft'. */
	public static class Raft {

		/**
		 * Directory of this node's Raft state (term, vote, log, snapshots); created if missing, and must be
		 * writable. A node restarted on the same directory rejoins with its identity. Defaults to
		 * 'grpc-scale-raft/<node-id>' under the working directory.
		 */
		private String storageDir = "";

		/**
		 * Address this node's Raft server binds to, for example 0.0.0.0. Defaults to the host of this node's
		 * entry in grpc.scale.cluster.nodes; the port is always that entry's.
		 */
		private String bindAddress = "";

		public String getStorageDir() {
			return this.storageDir;
		}

		public void setStorageDir(String storageDir) {
			this.storageDir = storageDir;
		}

		public String getBindAddress() {
			return this.bindAddress;
		}

		public void setBindAddress(String bindAddress) {
			this.bindAddress = bindAddress;
		}

	}

	/** Kubernetes settings of the election, for provider 'kubernetes'. */
	public static class Kubernetes {

		/**
		 * Namespace of the election's Leases. Defaults to the Kubernetes client's namespace: in a pod, the pod's
		 * own namespace.
		 */
		private @Nullable String namespace;

		public @Nullable String getNamespace() {
			return this.namespace;
		}

		public void setNamespace(@Nullable String namespace) {
			this.namespace = namespace;
		}

	}

	/** The cluster (leader election) backends. */
	public enum Provider {

		/** In this JVM. */
		MEMORY,

		/** etcd's election API, through io.etcd:jetcd-core. */
		ETCD,

		/** Consul sessions and KV acquire. */
		CONSUL,

		/** A Raft group of the listed nodes, through Apache Ratis (org.apache.ratis:ratis-server, ratis-grpc). */
		RAFT,

		/** A coordination.k8s.io/v1 Lease, through io.fabric8:kubernetes-client. */
		KUBERNETES

	}

}
