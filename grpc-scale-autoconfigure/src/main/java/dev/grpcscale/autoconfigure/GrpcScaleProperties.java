package dev.grpcscale.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;

/**
 * Configuration of grpc-scale, bound from {@code grpc.scale.*}. Every feature has an {@code enabled}
 * switch; values are checked at start-up by {@link GrpcScalePropertiesValidator}, and a bad one stops the
 * application with a message naming the key, the value and what is expected.
 */
@ConfigurationProperties("grpc.scale")
public class GrpcScaleProperties implements InitializingBean, EnvironmentAware, BeanClassLoaderAware {

	private @Nullable String applicationName;

	private @Nullable ClassLoader classLoader;

	/**
	 * The services this application registers with discovery once its gRPC server has started. When
	 * empty, one service named after 'spring.application.name' on the server's bound port is registered.
	 */
	private List<Service> services = new ArrayList<>();

	private final ServiceDiscovery serviceDiscovery = new ServiceDiscovery();

	private final CircuitBreaker circuitBreaker = new CircuitBreaker();

	private final HealthCheck healthCheck = new HealthCheck();

	private final Tracing tracing = new Tracing();

	private final Cluster cluster = new Cluster();

	@Override
	public void setEnvironment(Environment environment) {
		this.applicationName = environment.getProperty("spring.application.name");
	}

	@Override
	public void setBeanClassLoader(ClassLoader classLoader) {
		this.classLoader = classLoader;
	}

	/**
	 * Validates the bound values.
	 * @throws InvalidGrpcScalePropertiesException listing every invalid value
	 */
	@Override
	public void afterPropertiesSet() {
		GrpcScalePropertiesValidator.validate(this, this.applicationName,
				(this.classLoader != null) ? this.classLoader : getClass().getClassLoader());
	}

	public List<Service> getServices() {
		return this.services;
	}

	public void setServices(List<Service> services) {
		this.services = services;
	}

	public ServiceDiscovery getServiceDiscovery() {
		return this.serviceDiscovery;
	}

	public CircuitBreaker getCircuitBreaker() {
		return this.circuitBreaker;
	}

	public HealthCheck getHealthCheck() {
		return this.healthCheck;
	}

	public Tracing getTracing() {
		return this.tracing;
	}

	public Cluster getCluster() {
		return this.cluster;
	}

	/** One service to register with discovery. */
	public static class Service {

		/** Service name clients look up, for example 'product-service'. Defaults to 'spring.application.name'. */
		private @Nullable String name;

		/** The gRPC package the service implements, recorded in the instance metadata under 'package'. */
		private @Nullable String packageName;

		/**
		 * Host clients dial. Defaults to the address the gRPC server is bound to, or this machine's
		 * address when it is bound to all interfaces.
		 */
		private @Nullable String host;

		/** Port clients dial, 0..65535. 0 or unset means the gRPC server's bound port. */
		private int port;

		/** Whether to register this service. */
		private boolean enabled = true;

		/** Metadata stored with the registration. */
		private Map<String, String> metadata = new LinkedHashMap<>();

		public @Nullable String getName() {
			return this.name;
		}

		public void setName(@Nullable String name) {
			this.name = name;
		}

		public @Nullable String getPackage() {
			return this.packageName;
		}

		public void setPackage(@Nullable String packageName) {
			this.packageName = packageName;
		}

		public @Nullable String getHost() {
			return this.host;
		}

		public void setHost(@Nullable String host) {
			this.host = host;
		}

		public int getPort() {
			return this.port;
		}

		public void setPort(int port) {
			this.port = port;
		}

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Map<String, String> getMetadata() {
			return this.metadata;
		}

		public void setMetadata(Map<String, String> metadata) {
			this.metadata = metadata;
		}

	}

	/** Service discovery: where instances are registered and looked up. */
	public static class ServiceDiscovery {

		/** Whether service discovery, the 'discovery:///' name resolver and registration are enabled. */
		private boolean enabled = true;

		/** Discovery backend: 'memory' (in this JVM), 'etcd' or 'consul'. */
		private String provider = "memory";

		private final Memory memory = new Memory();

		private final Etcd etcd = new Etcd();

		private final Consul consul = new Consul();

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public String getProvider() {
			return this.provider;
		}

		public void setProvider(String provider) {
			this.provider = provider;
		}

		public Memory getMemory() {
			return this.memory;
		}

		public Etcd getEtcd() {
			return this.etcd;
		}

		public Consul getConsul() {
			return this.consul;
		}

		/** The in-JVM backend. */
		public static class Memory {

			/**
			 * Namespace shared by every application context of this JVM that uses the same value, so they
			 * discover each other.
			 */
			private String namespace = "default";

			public String getNamespace() {
				return this.namespace;
			}

			public void setNamespace(String namespace) {
				this.namespace = namespace;
			}

		}

	}

	/** Connection to etcd, for discovery or for the cluster. */
	public static class Etcd {

		/** etcd client URLs, http:// or https:// (all of one kind). */
		private List<String> endpoints = new ArrayList<>(List.of("http://127.0.0.1:2379"));

		/** Key prefix: instances live under '<namespace>/services/<service>/<instanceId>'. */
		private String namespace = "/grpc-scale";

		/** TTL of the lease registrations are bound to, whole seconds, at least 1s; a crashed instance leaves discovery within it. */
		private Duration leaseTtl = Duration.ofSeconds(15);

		/** Bound on each request to etcd; registration retries across an etcd leader change for up to this long. */
		private Duration requestTimeout = Duration.ofSeconds(5);

		/** User name for etcd authentication. Never logged nor shown in status. */
		private @Nullable String username;

		/** Password for etcd authentication. Never logged nor shown in status. */
		private @Nullable String password;

		private final Tls tls = new Tls();

		public List<String> getEndpoints() {
			return this.endpoints;
		}

		public void setEndpoints(List<String> endpoints) {
			this.endpoints = endpoints;
		}

		public String getNamespace() {
			return this.namespace;
		}

		public void setNamespace(String namespace) {
			this.namespace = namespace;
		}

		public Duration getLeaseTtl() {
			return this.leaseTtl;
		}

		public void setLeaseTtl(Duration leaseTtl) {
			this.leaseTtl = leaseTtl;
		}

		public Duration getRequestTimeout() {
			return this.requestTimeout;
		}

		public void setRequestTimeout(Duration requestTimeout) {
			this.requestTimeout = requestTimeout;
		}

		public @Nullable String getUsername() {
			return this.username;
		}

		public void setUsername(@Nullable String username) {
			this.username = username;
		}

		public @Nullable String getPassword() {
			return this.password;
		}

		public void setPassword(@Nullable String password) {
			this.password = password;
		}

		public Tls getTls() {
			return this.tls;
		}

		/** TLS to etcd. https:// endpoints turn it on as well. */
		public static class Tls {

			/** Whether to connect with TLS. */
			private boolean enabled;

			/** PEM file of the certificate authority that signed etcd's certificate. */
			private @Nullable Path caFile;

			/** PEM certificate chain of this client, for etcd's client-certificate authentication. */
			private @Nullable Path certFile;

			/** PEM private key (PKCS#8) of this client's certificate. */
			private @Nullable Path keyFile;

			public boolean isEnabled() {
				return this.enabled;
			}

			public void setEnabled(boolean enabled) {
				this.enabled = enabled;
			}

			public @Nullable Path getCaFile() {
				return this.caFile;
			}

			public void setCaFile(@Nullable Path caFile) {
				this.caFile = caFile;
			}

			public @Nullable Path getCertFile() {
				return this.certFile;
			}

			public void setCertFile(@Nullable Path certFile) {
				this.certFile = certFile;
			}

			public @Nullable Path getKeyFile() {
				return this.keyFile;
			}

			public void setKeyFile(@Nullable Path keyFile) {
				this.keyFile = keyFile;
			}

		}

	}

	/** How to reach a Consul agent: the keys discovery and the cluster share. */
	public static class ConsulConnection {

		/** Host name or IP address of the Consul agent. */
		private String host = "localhost";

		/** HTTP(S) port of the Consul agent, 1..65535. */
		private int port = 8500;

		/** 'http' or 'https'. A trust store turns on 'https' as well. */
		private String scheme = "http";

		/** ACL token, sent as the X-Consul-Token header. Never logged nor shown in status. */
		private @Nullable String token;

		/** Time allowed for an agent's answer; also added to the wait of blocking queries. */
		private Duration requestTimeout = Duration.ofSeconds(10);

		private final Tls tls = new Tls();

		public String getHost() {
			return this.host;
		}

		public void setHost(String host) {
			this.host = host;
		}

		public int getPort() {
			return this.port;
		}

		public void setPort(int port) {
			this.port = port;
		}

		public String getScheme() {
			return this.scheme;
		}

		public void setScheme(String scheme) {
			this.scheme = scheme;
		}

		public @Nullable String getToken() {
			return this.token;
		}

		public void setToken(@Nullable String token) {
			this.token = token;
		}

		public Duration getRequestTimeout() {
			return this.requestTimeout;
		}

		public void setRequestTimeout(Duration requestTimeout) {
			this.requestTimeout = requestTimeout;
		}

		public Tls getTls() {
			return this.tls;
		}

		/** HTTPS to the Consul agent. */
		public static class Tls {

			/** Key store file (PKCS12 or JKS) of the certificates trusted for the agent, for example its CA; turns on https. Defaults to the JVM's trust. */
			private @Nullable Path trustStore;

			/** Password of the trust store. Never logged nor shown in status. */
			private @Nullable String trustStorePassword;

			/** Type of the trust store. */
			private String trustStoreType = "PKCS12";

			public @Nullable Path getTrustStore() {
				return this.trustStore;
			}

			public void setTrustStore(@Nullable Path trustStore) {
				this.trustStore = trustStore;
			}

			public @Nullable String getTrustStorePassword() {
				return this.trustStorePassword;
			}

			public void setTrustStorePassword(@Nullable String trustStorePassword) {
				this.trustStorePassword = trustStorePassword;
			}

			public String getTrustStoreType() {
				return this.trustStoreType;
			}

			public void setTrustStoreType(String trustStoreType) {
				this.trustStoreType = trustStoreType;
			}

		}

	}

	/** Connection to a Consul agent and how instances are registered with it. */
	public static class Consul extends ConsulConnection {

		/** Datacenter whose instances are discovered. Defaults to the agent's own; registration always goes to the agent's. */
		private @Nullable String datacenter;

		/** Health check registered with each instance: 'grpc' (the agent probes grpc.health.v1) or 'ttl' (passed by this application every third of check-interval). */
		private String checkType = "grpc";

		/** Whether the agent's gRPC check connects with TLS. */
		private boolean grpcUseTls;

		/** gRPC checks: how often the agent probes (Consul raises values below 1s to 1s). TTL checks: the TTL. */
		private Duration checkInterval = Duration.ofSeconds(10);

		/** How long an instance may stay critical before the agent removes it; Consul's minimum is 1m. */
		private Duration deregisterCriticalAfter = Duration.ofMinutes(1);

		/** Tags registered with every instance. */
		private List<String> tags = new ArrayList<>();

		/** 'wait' of the blocking queries that watch services, above 0 and at most 10m. */
		private Duration blockingQueryWait = Duration.ofSeconds(55);

		public @Nullable String getDatacenter() {
			return this.datacenter;
		}

		public void setDatacenter(@Nullable String datacenter) {
			this.datacenter = datacenter;
		}

		public String getCheckType() {
			return this.checkType;
		}

		public void setCheckType(String checkType) {
			this.checkType = checkType;
		}

		public boolean isGrpcUseTls() {
			return this.grpcUseTls;
		}

		public void setGrpcUseTls(boolean grpcUseTls) {
			this.grpcUseTls = grpcUseTls;
		}

		public Duration getCheckInterval() {
			return this.checkInterval;
		}

		public void setCheckInterval(Duration checkInterval) {
			this.checkInterval = checkInterval;
		}

		public Duration getDeregisterCriticalAfter() {
			return this.deregisterCriticalAfter;
		}

		public void setDeregisterCriticalAfter(Duration deregisterCriticalAfter) {
			this.deregisterCriticalAfter = deregisterCriticalAfter;
		}

		public List<String> getTags() {
			return this.tags;
		}

		public void setTags(List<String> tags) {
			this.tags = tags;
		}

		public Duration getBlockingQueryWait() {
			return this.blockingQueryWait;
		}

		public void setBlockingQueryWait(Duration blockingQueryWait) {
			this.blockingQueryWait = blockingQueryWait;
		}

	}

	/** Circuit breaking of outgoing calls and of executeWithEnhancements operations. */
	public static class CircuitBreaker {

		/** Whether circuit breaking is enabled. */
		private boolean enabled = true;

		/** Number of failed calls inside the monitoring period that opens the circuit. */
		private int failureThreshold = 5;

		/** How long an open circuit rejects calls before letting trial calls through (half-open). */
		private Duration recoveryTimeout = Duration.ofSeconds(30);

		/** The sliding window in which failures are counted. */
		private Duration monitoringPeriod = Duration.ofSeconds(60);

		/** gRPC status code names that count as failures, for example UNAVAILABLE. */
		private List<String> expectedErrors = new ArrayList<>(List.of("UNAVAILABLE", "DEADLINE_EXCEEDED"));

		/**
		 * Failure rate in percent (0 < rate <= 100) that opens the circuit once at least failure-threshold
		 * calls were made in the monitoring period. Unset: the circuit opens on failure-threshold failed
		 * calls, whatever the rate.
		 */
		private @Nullable Float failureRateThreshold;

		/** Full gRPC method names ('package.Service/Method', or 'package.Service/*') whose calls never count. */
		private List<String> excludedMethods = new ArrayList<>();

		/**
		 * Names of Spring gRPC client channels (spring.grpc.client.channel.<name>) to guard although their
		 * target is not 'discovery:///'; every 'discovery:///' channel is guarded anyway.
		 */
		private List<String> channels = new ArrayList<>();

		/**
		 * Settings of one breaker, by name: a service name ('product-service'), an instance
		 * ('product-service/<instanceId>'), or an executeWithEnhancements operation name. Unset keys
		 * inherit the defaults above; an instance inherits its service's entry.
		 */
		private Map<String, Instance> instances = new LinkedHashMap<>();

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public int getFailureThreshold() {
			return this.failureThreshold;
		}

		public void setFailureThreshold(int failureThreshold) {
			this.failureThreshold = failureThreshold;
		}

		public Duration getRecoveryTimeout() {
			return this.recoveryTimeout;
		}

		public void setRecoveryTimeout(Duration recoveryTimeout) {
			this.recoveryTimeout = recoveryTimeout;
		}

		public Duration getMonitoringPeriod() {
			return this.monitoringPeriod;
		}

		public void setMonitoringPeriod(Duration monitoringPeriod) {
			this.monitoringPeriod = monitoringPeriod;
		}

		public List<String> getExpectedErrors() {
			return this.expectedErrors;
		}

		public void setExpectedErrors(List<String> expectedErrors) {
			this.expectedErrors = expectedErrors;
		}

		public @Nullable Float getFailureRateThreshold() {
			return this.failureRateThreshold;
		}

		public void setFailureRateThreshold(@Nullable Float failureRateThreshold) {
			this.failureRateThreshold = failureRateThreshold;
		}

		public List<String> getExcludedMethods() {
			return this.excludedMethods;
		}

		public void setExcludedMethods(List<String> excludedMethods) {
			this.excludedMethods = excludedMethods;
		}

		public List<String> getChannels() {
			return this.channels;
		}

		public void setChannels(List<String> channels) {
			this.channels = channels;
		}

		public Map<String, Instance> getInstances() {
			return this.instances;
		}

		public void setInstances(Map<String, Instance> instances) {
			this.instances = instances;
		}

		/** Overrides for one breaker; an unset key keeps the inherited value. */
		public static class Instance {

			/** Number of failed calls inside the monitoring period that opens this circuit. */
			private @Nullable Integer failureThreshold;

			/** How long this circuit stays open before trial calls. */
			private @Nullable Duration recoveryTimeout;

			/** The sliding window in which this breaker counts failures. */
			private @Nullable Duration monitoringPeriod;

			/** gRPC status code names that count as failures for this breaker. */
			private @Nullable List<String> expectedErrors;

			/** Failure rate in percent that opens this circuit; see the default's description. */
			private @Nullable Float failureRateThreshold;

			public @Nullable Integer getFailureThreshold() {
				return this.failureThreshold;
			}

			public void setFailureThreshold(@Nullable Integer failureThreshold) {
				this.failureThreshold = failureThreshold;
			}

			public @Nullable Duration getRecoveryTimeout() {
				return this.recoveryTimeout;
			}

			public void setRecoveryTimeout(@Nullable Duration recoveryTimeout) {
				this.recoveryTimeout = recoveryTimeout;
			}

			public @Nullable Duration getMonitoringPeriod() {
				return this.monitoringPeriod;
			}

			public void setMonitoringPeriod(@Nullable Duration monitoringPeriod) {
				this.monitoringPeriod = monitoringPeriod;
			}

			public @Nullable List<String> getExpectedErrors() {
				return this.expectedErrors;
			}

			public void setExpectedErrors(@Nullable List<String> expectedErrors) {
				this.expectedErrors = expectedErrors;
			}

			public @Nullable Float getFailureRateThreshold() {
				return this.failureRateThreshold;
			}

			public void setFailureRateThreshold(@Nullable Float failureRateThreshold) {
				this.failureRateThreshold = failureRateThreshold;
			}

		}

	}

	/** Active health checking of discovered instances. */
	public static class HealthCheck {

		/** Whether discovered instances are probed with grpc.health.v1.Health/Check. */
		private boolean enabled = true;

		/** Time between two probes of an instance. */
		private Duration interval = Duration.ofSeconds(30);

		/** Deadline of one probe. */
		private Duration timeout = Duration.ofSeconds(5);

		/** Consecutive failed probes after which an instance is marked down. */
		private int retries = 3;

		/** Health service name probed; '' asks for the whole server. */
		private String endpoint = "";

		/**
		 * Whether this application's own health (and, through Spring Boot's mapping, its gRPC health) turns
		 * DOWN / NOT_SERVING while the discovery backend is unreachable. Off by default: a registry outage
		 * would otherwise take every instance out of rotation at once.
		 */
		private boolean servingRequiresDiscovery;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getInterval() {
			return this.interval;
		}

		public void setInterval(Duration interval) {
			this.interval = interval;
		}

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

		public int getRetries() {
			return this.retries;
		}

		public void setRetries(int retries) {
			this.retries = retries;
		}

		public String getEndpoint() {
			return this.endpoint;
		}

		public void setEndpoint(String endpoint) {
			this.endpoint = endpoint;
		}

		public boolean isServingRequiresDiscovery() {
			return this.servingRequiresDiscovery;
		}

		public void setServingRequiresDiscovery(boolean servingRequiresDiscovery) {
			this.servingRequiresDiscovery = servingRequiresDiscovery;
		}

	}

	/** Distributed tracing. */
	public static class Tracing {

		/** Whether grpc-scale's own spans (executeWithEnhancements) are recorded. */
		private boolean enabled = true;

		/** Service name in traces. Defaults to 'spring.application.name'. */
		private @Nullable String serviceName;

		/** Fraction of traces sampled, 0.0 to 1.0. */
		private double samplingRate = 0.1;

		/** OTLP endpoint traces are exported to, for example http://localhost:4318/v1/traces (Jaeger's OTLP port). */
		private @Nullable String jaegerEndpoint;

		/** Tags added to every span's resource. */
		private Map<String, String> tags = new LinkedHashMap<>();

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public @Nullable String getServiceName() {
			return this.serviceName;
		}

		public void setServiceName(@Nullable String serviceName) {
			this.serviceName = serviceName;
		}

		public double getSamplingRate() {
			return this.samplingRate;
		}

		public void setSamplingRate(double samplingRate) {
			this.samplingRate = samplingRate;
		}

		public @Nullable String getJaegerEndpoint() {
			return this.jaegerEndpoint;
		}

		public void setJaegerEndpoint(@Nullable String jaegerEndpoint) {
			this.jaegerEndpoint = jaegerEndpoint;
		}

		public Map<String, String> getTags() {
			return this.tags;
		}

		public void setTags(Map<String, String> tags) {
			this.tags = tags;
		}

	}

	/** Clustering and leader election. */
	public static class Cluster {

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

		/** Cluster backend: 'memory' (in this JVM), 'etcd' or 'consul'. */
		private String provider = "memory";

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
		 * etcd for provider 'etcd': same keys as grpc.scale.service-discovery.etcd; every key not set here
		 * takes the value of grpc.scale.service-discovery.etcd. lease-ttl and request-timeout do not apply
		 * (the lease TTL is election-timeout).
		 */
		private final Etcd etcd = new Etcd();

		/**
		 * Consul for provider 'consul': every key not set here takes the value of
		 * grpc.scale.service-discovery.consul (lock-delay excepted, which only the cluster has).
		 */
		private final ClusterConsul consul = new ClusterConsul();

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

		public String getProvider() {
			return this.provider;
		}

		public void setProvider(String provider) {
			this.provider = provider;
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

		public Etcd getEtcd() {
			return this.etcd;
		}

		public ClusterConsul getConsul() {
			return this.consul;
		}

	}

	/**
	 * Connection to a Consul agent for leader election: the client keys of
	 * grpc.scale.service-discovery.consul, plus the sessions' lock delay.
	 */
	public static class ClusterConsul extends ConsulConnection {

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

}
