package dev.grpcscale.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
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

	/** The node ids expected in the cluster, shown beside the live members in the status. */
	private List<String> nodes = new ArrayList<>();

	/** Whether this node campaigns for leadership. */
	private boolean leaderElection = true;

	/** How often this node renews its membership and leadership lease. */
	private Duration heartbeatInterval = Duration.ofSeconds(5);

	/** How long a dead leader keeps leadership before another node may take it. */
	private Duration electionTimeout = Duration.ofSeconds(15);

	/**
	 * Cluster backend: 'memory' (in this JVM), 'etcd' or 'consul'. Unset: the discovery backend when it
	 * is shared by the fleet (etcd, consul), else memory.
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
	 * enabled discovery when the fleet shares it ({@code etcd}, {@code consul}), so that one election spans
	 * every instance; otherwise {@code memory}.
	 * @param environment where the properties are read
	 * @return the backend
	 */
	public static Provider effectiveProvider(Environment environment) {
		Binder binder = Binder.get(environment);
		Provider configured = binder.bind("grpc.scale.cluster.provider", Provider.class).orElse(null);
		if (configured != null) {
			return configured;
		}
		if (!binder.bind("grpc.scale.service-discovery.enabled", Boolean.class).orElse(true)) {
			return Provider.MEMORY;
		}
		return switch (binder.bind("grpc.scale.service-discovery.provider", GrpcScaleDiscoveryProperties.Provider.class)
			.orElse(GrpcScaleDiscoveryProperties.Provider.MEMORY)) {
			case ETCD -> Provider.ETCD;
			case CONSUL -> Provider.CONSUL;
			default -> Provider.MEMORY;
		};
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

	/** The cluster (leader election) backends. */
	public enum Provider {

		/** In this JVM. */
		MEMORY,

		/** etcd's election API, through io.etcd:jetcd-core. */
		ETCD,

		/** Consul sessions and KV acquire. */
		CONSUL

	}

}
