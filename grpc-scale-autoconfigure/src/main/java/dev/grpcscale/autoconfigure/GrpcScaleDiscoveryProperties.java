package dev.grpcscale.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.util.unit.DataSize;

import dev.grpcscale.discovery.consul.ConsulCheckType;

/**
 * Service discovery, bound from {@code grpc.scale.service-discovery.*}: where instances are registered and
 * looked up, and how the etcd and Consul backends are reached (the cluster's backend settings take each
 * key they do not set from here).
 *
 * <p>Validated once, as Boot's binder binds it ({@link SelfValidatingProperties}).
 */
@ConfigurationProperties("grpc.scale.service-discovery")
public class GrpcScaleDiscoveryProperties extends SelfValidatingProperties {

	/** Whether service discovery, the 'discovery:///' name resolver and registration are enabled. */
	private boolean enabled = true;

	/** Discovery backend: 'memory' (in this JVM), 'etcd', 'consul' or 'kubernetes' (EndpointSlices). */
	private Provider provider = Provider.MEMORY;

	private final Memory memory = new Memory();

	private final Etcd etcd = new Etcd();

	private final Consul consul = new Consul();

	@NestedConfigurationProperty
	private final KubernetesDiscoveryProperties kubernetes = new KubernetesDiscoveryProperties();

	/**
	 * Authority (the TLS server name checked against the server's certificate) of the 'discovery:///<service>'
	 * channels and health probes, by service: a name such as 'users.internal', or 'host' for each
	 * instance's registered host. Default: the service name.
	 */
	private Map<String, String> authority = new LinkedHashMap<>();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Provider getProvider() {
		return this.provider;
	}

	public void setProvider(Provider provider) {
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

	public KubernetesDiscoveryProperties getKubernetes() {
		return this.kubernetes;
	}

	public Map<String, String> getAuthority() {
		return this.authority;
	}

	public void setAuthority(Map<String, String> authority) {
		this.authority = authority;
	}

	@Override
	void validateWith(GrpcScalePropertiesValidator validator) {
		GrpcScalePropertiesValidator.validate(this, validator);
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

	/** Connection to etcd: the keys discovery and the cluster share. */
	public static class EtcdConnection {

		/** etcd client URLs, http:// or https:// (all of one kind). */
		private List<String> endpoints = new ArrayList<>(List.of("http://127.0.0.1:2379"));

		/** Key prefix: instances live under '<namespace>/services/<service>/<instanceId>'. */
		private String namespace = "/grpc-scale";

		/** User name for etcd authentication. Never logged nor shown in status. */
		private @Nullable String username;

		/** Password for etcd authentication. Never logged nor shown in status. */
		private @Nullable String password;

		/**
		 * Largest message the etcd client accepts (a page of a range read, a watch response); at least 1MB.
		 * Discovery reads in pages and shrinks a page that would not fit.
		 */
		private DataSize maxInboundMessageSize = DataSize.ofMegabytes(16);

		private final Tls tls = new Tls();

		public DataSize getMaxInboundMessageSize() {
			return this.maxInboundMessageSize;
		}

		public void setMaxInboundMessageSize(DataSize maxInboundMessageSize) {
			this.maxInboundMessageSize = maxInboundMessageSize;
		}

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

			/**
			 * Name of a Spring Boot SSL bundle (spring.ssl.bundle.*) to connect with: its trust store checks
			 * etcd's certificate, its key store (if any) is this client's certificate. Instead of the files.
			 */
			private @Nullable String bundle;

			public @Nullable String getBundle() {
				return this.bundle;
			}

			public void setBundle(@Nullable String bundle) {
				this.bundle = bundle;
			}

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

	/** Connection to etcd for discovery, and how instances are registered in it. */
	public static class Etcd extends EtcdConnection {

		/** TTL of the lease registrations are bound to, whole seconds, at least 1s; a crashed instance leaves discovery within it. */
		private Duration leaseTtl = Duration.ofSeconds(15);

		/** Bound on each request to etcd; registration retries across an etcd leader change for up to this long. */
		private Duration requestTimeout = Duration.ofSeconds(5);

		/**
		 * How long a service that this client reads but nobody watches stays loaded and watched after its last
		 * read; then its watch is closed and its next read loads it again.
		 */
		private Duration serviceIdleTimeout = Duration.ofMinutes(5);

		public Duration getServiceIdleTimeout() {
			return this.serviceIdleTimeout;
		}

		public void setServiceIdleTimeout(Duration serviceIdleTimeout) {
			this.serviceIdleTimeout = serviceIdleTimeout;
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

	}

	/** How to reach a Consul agent: the keys discovery and the cluster share. */
	public static class ConsulConnection {

		/** Host name or IP address of the Consul agent. */
		private String host = "localhost";

		/** HTTP(S) port of the Consul agent, 1..65535. */
		private int port = 8500;

		/** 'http' or 'https'. A trust store turns on 'https' as well. */
		private ConsulScheme scheme = ConsulScheme.HTTP;

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

		public ConsulScheme getScheme() {
			return this.scheme;
		}

		public void setScheme(ConsulScheme scheme) {
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

			/**
			 * Name of a Spring Boot SSL bundle (spring.ssl.bundle.*) to connect to the agent with; turns on
			 * https. Instead of the trust-store keys.
			 */
			private @Nullable String bundle;

			public @Nullable String getBundle() {
				return this.bundle;
			}

			public void setBundle(@Nullable String bundle) {
				this.bundle = bundle;
			}

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
		private ConsulCheckType checkType = ConsulCheckType.GRPC;

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

		/**
		 * How long the watch (blocking-query loop) of a service that no channel or listener watches keeps
		 * running after its last read before it is stopped; the next read or watch starts it again.
		 */
		private Duration watchIdleTimeout = Duration.ofMinutes(5);

		public @Nullable String getDatacenter() {
			return this.datacenter;
		}

		public void setDatacenter(@Nullable String datacenter) {
			this.datacenter = datacenter;
		}

		public ConsulCheckType getCheckType() {
			return this.checkType;
		}

		public void setCheckType(ConsulCheckType checkType) {
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

		public Duration getWatchIdleTimeout() {
			return this.watchIdleTimeout;
		}

		public void setWatchIdleTimeout(Duration watchIdleTimeout) {
			this.watchIdleTimeout = watchIdleTimeout;
		}

	}

	/** The discovery backends. */
	public enum Provider {

		/** In this JVM; application contexts sharing a namespace discover each other. */
		MEMORY,

		/** etcd, through io.etcd:jetcd-core. */
		ETCD,

		/** A Consul agent, over its HTTP API. */
		CONSUL,

		/** The EndpointSlices of Kubernetes Services, through io.fabric8:kubernetes-client. */
		KUBERNETES

	}

	/** How a Consul agent is reached. */
	public enum ConsulScheme {

		/** Plain HTTP. */
		HTTP,

		/** HTTPS. */
		HTTPS

	}

}
