package dev.grpcscale.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.grpc.Status;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.BindingResult;
import org.springframework.validation.Errors;
import org.springframework.validation.FieldError;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.kubernetes.LeaseNames;

/**
 * The rules of grpc-scale's properties classes, applied once by Boot's binder through their
 * {@code validate} methods. Every invalid value becomes a {@link FieldError} whose field is its key
 * relative to the class's prefix (kebab-case, as written in {@code application.yml}), whose rejected
 * value is the bound value, whose only argument is what is expected and whose default message reads
 * {@code <key>: '<value>' (expected: <what>)}. Core builders keep their own invariant checks; nothing here
 * reads their messages.
 */
final class GrpcScalePropertiesValidator {

	/** Code of every error this validator reports. */
	static final String ERROR_CODE = "grpc-scale.invalid";

	private static final String ETCD_CLIENT = "io.etcd.jetcd.Client";

	private static final String JSON = "tools.jackson.databind.json.JsonMapper";

	/** The libraries a backend needs beyond the starter: class name to dependency. */
	private static final Map<String, Map<String, String>> BACKEND_CLASSES = Map.of("etcd",
			Map.of(ETCD_CLIENT, "io.etcd:jetcd-core", JSON, "tools.jackson.core:jackson-databind"), "consul",
			Map.of(JSON, "tools.jackson.core:jackson-databind"), "raft",
			Map.of("org.apache.ratis.server.RaftServer", "org.apache.ratis:ratis-server",
					"org.apache.ratis.grpc.GrpcFactory", "org.apache.ratis:ratis-grpc",
					"org.apache.ratis.metrics.impl.MetricRegistriesImpl", "org.apache.ratis:ratis-metrics-default"),
			"kubernetes", Map.of("io.fabric8.kubernetes.client.KubernetesClientBuilder", "io.fabric8:kubernetes-client"));

	/** What fabric8 loads its HTTP client implementation from (jdk, okhttp, vert.x). */
	private static final String KUBERNETES_HTTP_CLIENTS = "META-INF/services/io.fabric8.kubernetes.client.http.HttpClient$Factory";

	private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

	private static final String DNS_LABEL_EXPECTED = "a DNS label: lower-case letters, digits and '-', at most 63 characters";

	/** Keys of the cluster that were bound but never used, and what to set instead. */
	private static final Map<String, String> REMOVED_CLUSTER_KEYS = Map.of("etcd.lease-ttl",
			"grpc.scale.cluster.election-timeout (the TTL of the election's lease)", "etcd.request-timeout",
			"grpc.scale.cluster.election-timeout (the bound of the election's requests)");

	/** Legacy Jaeger collector/agent ports that do not speak OTLP. */
	private static final Set<Integer> LEGACY_JAEGER_PORTS = Set.of(14268, 14250, 6831, 6832);

	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

	private static final Pattern KUBERNETES_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

	/** Namespace of Kubernetes elections: with the election name it makes the Lease name. */
	static final String KUBERNETES_ELECTION_NAMESPACE = "grpc-scale";

	private static final Pattern ETCD_NAMESPACE = Pattern.compile("(/[A-Za-z0-9._-]+)+");

	private static final Pattern FULL_METHOD = Pattern.compile("[A-Za-z0-9._-]+/([A-Za-z0-9_]+|\\*)");

	private static final Duration MAX_BLOCKING_QUERY_WAIT = Duration.ofMinutes(10);

	private static final Duration MAX_LOCK_DELAY = Duration.ofSeconds(60);

	private static final String NAME_EXPECTED = "letters, digits, '.', '_' or '-', not empty";

	private static final String DURATION_EXPECTED = "a duration > 0, for example 500ms, 5s or 1m";

	private static final String STATUS_CODES = Arrays.stream(Status.Code.values())
		.filter((code) -> code != Status.Code.OK)
		.map(Enum::name)
		.collect(Collectors.joining(", "));

	private final Errors errors;

	private final @Nullable Environment environment;

	private final ClassLoader classLoader;

	private GrpcScalePropertiesValidator(Errors errors, @Nullable Environment environment, ClassLoader classLoader) {
		this.errors = errors;
		this.environment = environment;
		this.classLoader = classLoader;
	}

	/**
	 * A validator of one bound object.
	 * @param environment where {@code spring.application.name}, the other features' providers and removed
	 * keys are read; may be {@code null}
	 * @param classLoader where optional backend clients are looked for
	 * @param errors where every invalid value is reported
	 * @return the validator
	 */
	static GrpcScalePropertiesValidator context(@Nullable Environment environment, ClassLoader classLoader,
			Errors errors) {
		return new GrpcScalePropertiesValidator(errors, environment, classLoader);
	}

	static void validate(GrpcScaleProperties properties, GrpcScalePropertiesValidator validator) {
		validator.services(properties.getServices(), validator.applicationName());
	}

	static void validate(GrpcScaleDiscoveryProperties properties, GrpcScalePropertiesValidator validator) {
		validator.discovery(properties, validator.clusterProvider());
	}

	static void validate(GrpcScaleCircuitBreakerProperties properties, GrpcScalePropertiesValidator validator) {
		validator.circuitBreaker(properties);
	}

	static void validate(GrpcScaleHealthCheckProperties properties, GrpcScalePropertiesValidator validator) {
		validator.healthCheck(properties);
	}

	static void validate(GrpcScaleMetricsProperties properties, GrpcScalePropertiesValidator validator) {
		validator.positive("grpc.scale.metrics.refresh-interval", properties.getRefreshInterval());
	}

	static void validate(GrpcScaleTracingProperties properties, GrpcScalePropertiesValidator validator) {
		validator.tracing(properties);
	}

	static void validate(GrpcScaleClusterProperties properties, GrpcScalePropertiesValidator validator) {
		validator.cluster(properties, validator.applicationName());
		validator.removedKeys("grpc.scale.cluster", REMOVED_CLUSTER_KEYS);
	}

	private @Nullable String applicationName() {
		return (this.environment != null) ? this.environment.getProperty("spring.application.name") : null;
	}

	/** A value of another feature, bound from the environment; the default when unset or not bindable. */
	private GrpcScaleClusterProperties.Provider clusterProvider() {
		if (this.environment == null) {
			return GrpcScaleClusterProperties.Provider.MEMORY;
		}
		try {
			return GrpcScaleClusterProperties.effectiveProvider(this.environment);
		}
		catch (RuntimeException ex) {
			// reported by the feature it belongs to
			return GrpcScaleClusterProperties.Provider.MEMORY;
		}
	}

	private void services(List<GrpcScaleProperties.Service> services, @Nullable String applicationName) {
		Set<String> seen = new HashSet<>();
		for (int i = 0; i < services.size(); i++) {
			GrpcScaleProperties.Service service = services.get(i);
			String prefix = "services[" + i + "].";
			String name = (service.getName() != null) ? service.getName() : applicationName;
			if (name == null) {
				problem(prefix + "name", "", "a service name, or spring.application.name set");
			}
			else if (!NAME.matcher(name).matches()) {
				problem(prefix + "name", name, NAME_EXPECTED);
			}
			else if (!seen.add(name)) {
				problem(prefix + "name", name, "a name not used by another grpc.scale.services entry");
			}
			if (service.getPort() < 0 || service.getPort() > 65535) {
				problem(prefix + "port", service.getPort(), "0..65535, 0 for the gRPC server's bound port");
			}
			if (service.getHost() != null && service.getHost().isBlank()) {
				problem(prefix + "host", service.getHost(), "a host name or IP address, or unset");
			}
		}
	}

	/**
	 * Checks discovery; the backend settings also when the cluster uses the same backend, since the
	 * cluster's take each key it does not set from them.
	 */
	private void discovery(GrpcScaleDiscoveryProperties discovery, GrpcScaleClusterProperties.Provider clusterProvider) {
		String prefix = "";
		String provider = discovery.getProvider().name().toLowerCase(Locale.ROOT);
		requireClasses(prefix + "provider", provider);
		if (discovery.getMemory().getNamespace() == null || discovery.getMemory().getNamespace().isBlank()) {
			problem(prefix + "memory.namespace", discovery.getMemory().getNamespace(), "a non-blank name");
		}
		discovery.getAuthority().forEach((service, authority) -> {
			if (authority == null || authority.isBlank() || authority.chars().anyMatch(Character::isWhitespace)) {
				problem(prefix + "authority." + service, authority,
						"a server name such as users.internal, or 'host' for each instance's registered host");
			}
		});
		if (discovery.getProvider() == GrpcScaleDiscoveryProperties.Provider.ETCD
				|| clusterProvider == GrpcScaleClusterProperties.Provider.ETCD) {
			GrpcScaleDiscoveryProperties.Etcd etcd = discovery.getEtcd();
			etcdConnection(prefix + "etcd.", etcd);
			Duration ttl = etcd.getLeaseTtl();
			if (ttl == null || ttl.compareTo(Duration.ofSeconds(1)) < 0) {
				problem(prefix + "etcd.lease-ttl", ttl, ">= 1s");
			}
			else if (ttl.getNano() != 0) {
				problem(prefix + "etcd.lease-ttl", ttl, "whole seconds");
			}
			positive(prefix + "etcd.request-timeout", etcd.getRequestTimeout());
			positive(prefix + "etcd.service-idle-timeout", etcd.getServiceIdleTimeout());
		}
		if (discovery.getProvider() == GrpcScaleDiscoveryProperties.Provider.KUBERNETES) {
			kubernetes(prefix + "kubernetes.", discovery.getKubernetes());
		}
		if (clusterProvider == GrpcScaleClusterProperties.Provider.CONSUL) {
			consulConnection(prefix + "consul.", discovery.getConsul());
		}
		if (discovery.getProvider() == GrpcScaleDiscoveryProperties.Provider.CONSUL) {
			GrpcScaleDiscoveryProperties.Consul consul = discovery.getConsul();
			if (clusterProvider != GrpcScaleClusterProperties.Provider.CONSUL) {
				consulConnection(prefix + "consul.", consul);
			}
			if (consul.getDatacenter() != null && consul.getDatacenter().isBlank()) {
				problem(prefix + "consul.datacenter", consul.getDatacenter(), "a datacenter name, or unset");
			}
			positive(prefix + "consul.check-interval", consul.getCheckInterval());
			positive(prefix + "consul.deregister-critical-after", consul.getDeregisterCriticalAfter());
			List<String> tags = consul.getTags();
			for (int i = 0; i < tags.size(); i++) {
				if (tags.get(i) == null || tags.get(i).isBlank()) {
					problem(prefix + "consul.tags[" + i + "]", tags.get(i), "a non-blank tag");
				}
			}
			Duration wait = consul.getBlockingQueryWait();
			if (wait == null || wait.isZero() || wait.isNegative() || wait.compareTo(MAX_BLOCKING_QUERY_WAIT) > 0) {
				problem(prefix + "consul.blocking-query-wait", wait, "> 0 and <= " + MAX_BLOCKING_QUERY_WAIT);
			}
			positive(prefix + "consul.watch-idle-timeout", consul.getWatchIdleTimeout());
		}
	}

	private void kubernetes(String prefix, KubernetesDiscoveryProperties kubernetes) {
		dnsLabel(prefix + "namespace", kubernetes.getNamespace());
		if (kubernetes.getPortName() == null || kubernetes.getPortName().isBlank()) {
			problem(prefix + "port-name", kubernetes.getPortName(), "the name of the Service port that carries gRPC");
		}
		positive(prefix + "request-timeout", kubernetes.getRequestTimeout());
		positive(prefix + "service-idle-timeout", kubernetes.getServiceIdleTimeout());
		kubernetes.getServices().forEach((service, mapping) -> {
			if (!NAME.matcher(service).matches()) {
				problem(prefix + "services", service, "grpc-scale service names: " + NAME_EXPECTED);
			}
			dnsLabel(prefix + "services." + service + ".service-name", mapping.getServiceName());
			dnsLabel(prefix + "services." + service + ".namespace", mapping.getNamespace());
			if (mapping.getServiceName() == null && !DNS_LABEL.matcher(service).matches()) {
				problem(prefix + "services." + service + ".service-name", null,
						"the Kubernetes Service's name: '" + service + "' is not " + DNS_LABEL_EXPECTED);
			}
		});
	}

	/** A DNS label, or unset. */
	private void dnsLabel(String key, @Nullable String value) {
		if (value != null && !DNS_LABEL.matcher(value).matches()) {
			problem(key, value, DNS_LABEL_EXPECTED);
		}
	}

	private void etcdConnection(String prefix, GrpcScaleDiscoveryProperties.EtcdConnection etcd) {
		List<String> endpoints = etcd.getEndpoints();
		if (endpoints.isEmpty()) {
			problem(prefix + "endpoints", "[]", "at least one etcd client URL, http://host:port or https://host:port");
		}
		Set<String> schemes = new HashSet<>();
		for (int i = 0; i < endpoints.size(); i++) {
			String scheme = etcdEndpointScheme(endpoints.get(i));
			if (scheme == null) {
				problem(prefix + "endpoints" + ((endpoints.size() > 1) ? "[" + i + "]" : ""),
						shownEndpoint(endpoints.get(i)),
						"http://host:port or https://host:port, no user info or path");
			}
			else {
				schemes.add(scheme);
			}
		}
		if (schemes.size() > 1) {
			problem(prefix + "endpoints", endpoints, "all http:// or all https://");
		}
		if (etcd.getNamespace() == null || !ETCD_NAMESPACE.matcher(etcd.getNamespace()).matches()) {
			problem(prefix + "namespace", etcd.getNamespace(),
					"/segment[/segment...] of letters, digits, '.', '_' or '-', no trailing '/'");
		}
		if (etcd.getUsername() != null && etcd.getUsername().isBlank()) {
			problem(prefix + "username", etcd.getUsername(), "not blank");
		}
		if (etcd.getPassword() != null && etcd.getPassword().isEmpty()) {
			problem(prefix + "password", "(empty)", "not empty");
		}
		maxInboundMessageSize(prefix, etcd);
		GrpcScaleDiscoveryProperties.EtcdConnection.Tls tls = etcd.getTls();
		if ((tls.getCertFile() == null) != (tls.getKeyFile() == null)) {
			String missing = (tls.getCertFile() == null) ? "tls.cert-file" : "tls.key-file";
			problem(prefix + missing, "", "tls.cert-file and tls.key-file set together");
		}
		readable(prefix + "tls.ca-file", tls.getCaFile());
		readable(prefix + "tls.cert-file", tls.getCertFile());
		readable(prefix + "tls.key-file", tls.getKeyFile());
		if (tls.getBundle() != null) {
			if (tls.getBundle().isBlank()) {
				problem(prefix + "tls.bundle", tls.getBundle(), "the name of a spring.ssl.bundle");
			}
			if (tls.getCaFile() != null || tls.getCertFile() != null) {
				problem(prefix + "tls.bundle", tls.getBundle(),
						"either an SSL bundle or tls.ca-file / tls.cert-file / tls.key-file, not both");
			}
			if (schemes.contains("http")) {
				problem(prefix + "endpoints", endpoints, "https:// endpoints with tls.bundle");
			}
		}
	}

	private static @Nullable String etcdEndpointScheme(@Nullable String endpoint) {
		if (endpoint == null) {
			return null;
		}
		try {
			URI uri = new URI(endpoint.strip());
			boolean valid = ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
					&& uri.getPort() > 0 && uri.getUserInfo() == null
					&& (uri.getPath() == null || uri.getPath().isEmpty() || "/".equals(uri.getPath()))
					&& uri.getQuery() == null && uri.getFragment() == null;
			return valid ? uri.getScheme() : null;
		}
		catch (URISyntaxException ex) {
			return null;
		}
	}

	/** An endpoint as it may be shown: user info, which may hold a password, masked. */
	private static @Nullable String shownEndpoint(@Nullable String endpoint) {
		if (endpoint == null) {
			return null;
		}
		int at = endpoint.indexOf('@');
		int scheme = endpoint.indexOf("://");
		return (at > 0 && scheme > 0 && scheme < at) ? endpoint.substring(0, scheme + 3) + "***"
				+ endpoint.substring(at) : endpoint;
	}

	private void readable(String key, @Nullable Path file) {
		if (file != null && !Files.isReadable(file)) {
			problem(key, file, "a readable PEM file");
		}
	}

	private void consulConnection(String prefix, GrpcScaleDiscoveryProperties.ConsulConnection consul) {
		if (consul.getHost() == null || consul.getHost().isBlank()) {
			problem(prefix + "host", consul.getHost(), "a host name or IP address");
		}
		if (consul.getPort() < 1 || consul.getPort() > 65535) {
			problem(prefix + "port", consul.getPort(), "1..65535");
		}
		if (consul.getToken() != null && consul.getToken().isBlank()) {
			// never the token itself, not even a blank one
			problem(prefix + "token", "blank", "an ACL token");
		}
		positive(prefix + "request-timeout", consul.getRequestTimeout());
		GrpcScaleDiscoveryProperties.ConsulConnection.Tls tls = consul.getTls();
		if (tls.getBundle() != null && (tls.getBundle().isBlank() || tls.getTrustStore() != null)) {
			problem(prefix + "tls.bundle", tls.getBundle(),
					"the name of a spring.ssl.bundle, and no tls.trust-store beside it");
		}
		if (tls.getTrustStore() != null) {
			String type = tls.getTrustStoreType();
			String password = tls.getTrustStorePassword();
			try (InputStream in = Files.newInputStream(tls.getTrustStore())) {
				KeyStore.getInstance(type).load(in, (password != null) ? password.toCharArray() : null);
			}
			catch (IOException | GeneralSecurityException ex) {
				// the exception's message may name the cause (wrong password, bad format), never the password
				problem(prefix + "tls.trust-store", tls.getTrustStore(), "a readable " + type
						+ " key store opened by tls.trust-store-password: " + ex.getMessage());
			}
		}
	}

	private void circuitBreaker(GrpcScaleCircuitBreakerProperties breaker) {
		String prefix = "";
		breakerSettings(prefix, breaker.getFailureThreshold(), breaker.getRecoveryTimeout(),
				breaker.getMonitoringPeriod(), breaker.getExpectedErrors(), breaker.getFailureRateThreshold());
		List<String> excluded = breaker.getExcludedMethods();
		for (int i = 0; i < excluded.size(); i++) {
			String method = excluded.get(i);
			if (method == null || !FULL_METHOD.matcher(method).matches()) {
				problem(prefix + "excluded-methods[" + i + "]", method,
						"a full gRPC method name 'package.Service/Method' or 'package.Service/*'");
			}
		}
		Duration retention = breaker.getInstanceRetention();
		if (retention == null || retention.isNegative()) {
			problem(prefix + "instance-retention", retention, ">= 0");
		}
		breaker.getInstances().forEach((name, instance) -> {
			if (name.isBlank()) {
				problem(prefix + "instances", name, "a breaker name");
			}
			breakerSettings(prefix + "instances." + name + ".", instance.getFailureThreshold(),
					instance.getRecoveryTimeout(), instance.getMonitoringPeriod(), instance.getExpectedErrors(),
					instance.getFailureRateThreshold());
		});
	}

	/** Checks the settings of one breaker; {@code null} stands for an inherited value. */
	private void breakerSettings(String prefix, @Nullable Integer failureThreshold, @Nullable Duration recoveryTimeout,
			@Nullable Duration monitoringPeriod, @Nullable List<String> expectedErrors,
			@Nullable Float failureRateThreshold) {
		if (failureThreshold != null && failureThreshold < 1) {
			problem(prefix + "failure-threshold", failureThreshold, ">= 1");
		}
		if (recoveryTimeout != null && positive(prefix + "recovery-timeout", recoveryTimeout)
				&& recoveryTimeout.getNano() % 1_000_000 != 0) {
			problem(prefix + "recovery-timeout", recoveryTimeout, "whole milliseconds");
		}
		if (monitoringPeriod != null && positive(prefix + "monitoring-period", monitoringPeriod)
				&& (monitoringPeriod.getSeconds() < 1 || monitoringPeriod.getNano() != 0
						|| monitoringPeriod.getSeconds() > Integer.MAX_VALUE)) {
			problem(prefix + "monitoring-period", monitoringPeriod, "a whole number of seconds, >= 1s");
		}
		if (expectedErrors != null) {
			for (int i = 0; i < expectedErrors.size(); i++) {
				String code = expectedErrors.get(i);
				if (!isStatusCode((code != null) ? code.trim() : null)) {
					problem(prefix + "expected-errors[" + i + "]", code, "a gRPC status code name: " + STATUS_CODES);
				}
			}
		}
		if (failureRateThreshold != null && !(failureRateThreshold > 0.0f && failureRateThreshold <= 100.0f)) {
			problem(prefix + "failure-rate-threshold", failureRateThreshold,
					"a percentage greater than 0 and at most 100");
		}
	}

	private void healthCheck(GrpcScaleHealthCheckProperties health) {
		String prefix = "";
		positive(prefix + "interval", health.getInterval());
		positive(prefix + "timeout", health.getTimeout());
		if (health.getRetries() < 1) {
			problem(prefix + "retries", health.getRetries(), ">= 1");
		}
		if (health.getEndpoint() == null) {
			problem(prefix + "endpoint", null, "a health service name, '' for the whole server");
		}
		double threshold = health.getPanic().getThreshold();
		if (!(threshold >= 0.0 && threshold <= 100.0)) {
			problem(prefix + "panic.threshold", threshold, "a percentage from 0 to 100");
		}
	}

	private void tracing(GrpcScaleTracingProperties tracing) {
		double rate = tracing.getSamplingRate();
		if (!(rate >= 0.0 && rate <= 1.0)) {
			problem("sampling-rate", rate, "a number from 0.0 to 1.0");
		}
		String endpoint = tracing.getJaegerEndpoint();
		if (endpoint != null && !endpoint.isBlank()) {
			URI uri;
			try {
				uri = URI.create(endpoint.trim());
			}
			catch (IllegalArgumentException ex) {
				uri = null;
			}
			if (uri == null || uri.getScheme() == null || uri.getHost() == null
					|| !Set.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))) {
				problem("jaeger-endpoint", endpoint,
						"an http(s) URL of an OTLP receiver, for example http://localhost:4318/v1/traces");
			}
			else if (LEGACY_JAEGER_PORTS.contains(uri.getPort())) {
				problem("jaeger-endpoint", endpoint, "Jaeger's OTLP port: 4318 (OTLP over HTTP, "
						+ "http://<host>:4318/v1/traces) or 4317 (OTLP over gRPC); port " + uri.getPort()
						+ " is a legacy Jaeger Thrift/gRPC port that grpc-scale does not speak");
			}
		}
	}

	private void cluster(GrpcScaleClusterProperties cluster, @Nullable String applicationName) {
		String prefix = "";
		GrpcScaleClusterProperties.Provider effective = (cluster.getProvider() != null) ? cluster.getProvider()
				: clusterProvider();
		String provider = effective.name().toLowerCase(Locale.ROOT);
		requireClasses(prefix + "provider", provider);
		String electionName = (cluster.getElectionName() != null) ? cluster.getElectionName()
				: (applicationName != null && !applicationName.isBlank()) ? applicationName : null;
		if (electionName != null && !NAME.matcher(electionName).matches()) {
			problem(prefix + "election-name", electionName, NAME_EXPECTED
					+ ((cluster.getElectionName() == null) ? "; it defaults to spring.application.name" : ""));
		}
		boolean heartbeatOk = positive(prefix + "heartbeat-interval", cluster.getHeartbeatInterval());
		boolean electionOk = positive(prefix + "election-timeout", cluster.getElectionTimeout());
		if (heartbeatOk && electionOk && cluster.getHeartbeatInterval().compareTo(cluster.getElectionTimeout()) >= 0) {
			problem(prefix + "heartbeat-interval", cluster.getHeartbeatInterval(),
					"less than grpc.scale.cluster.election-timeout (" + cluster.getElectionTimeout() + ")");
		}
		String nodeId = cluster.getNodeId();
		if (nodeId != null && !NAME.matcher(nodeId).matches()) {
			problem(prefix + "node-id", nodeId, NAME_EXPECTED);
		}
		List<String> nodes = cluster.getNodes();
		boolean raft = effective == GrpcScaleClusterProperties.Provider.RAFT;
		Set<String> ids = new HashSet<>();
		for (int i = 0; i < nodes.size(); i++) {
			String node = nodes.get(i);
			String key = prefix + "nodes[" + i + "]";
			if (node == null || node.indexOf('=') < 0) {
				if (raft) {
					problem(key, node, "id=host:port with provider raft (the node id, then the address of its Raft "
							+ "server), for example orders-1=10.0.0.7:9871");
				}
				else if (node == null || !NAME.matcher(node).matches()) {
					problem(key, node, "a node id: " + NAME_EXPECTED);
				}
				else {
					ids.add(node);
				}
				continue;
			}
			String id = GrpcScaleClusterProperties.nodeId(node);
			String address = node.substring(node.indexOf('=') + 1).trim();
			if (!NAME.matcher(id).matches()) {
				problem(key, node, "id=host:port, the id: " + NAME_EXPECTED);
			}
			else if (!isHostPort(address)) {
				problem(key, node, "id=host:port, the port 1 to 65535");
			}
			else if (!ids.add(id) && raft) {
				problem(key, node, "unique node ids; '" + id + "' is listed twice");
			}
		}
		if (raft) {
			if (nodes.isEmpty()) {
				problem(prefix + "nodes", "[]", "the Raft group's members as id=host:port, this node included, "
						+ "with provider raft");
			}
			else if (nodeId == null) {
				problem(prefix + "node-id", null, "this node's id, one of those in grpc.scale.cluster.nodes, with "
						+ "provider raft");
			}
			else if (NAME.matcher(nodeId).matches() && !ids.contains(nodeId)) {
				problem(prefix + "node-id", nodeId, "one of the ids in grpc.scale.cluster.nodes " + ids
						+ " with provider raft");
			}
			String bindAddress = cluster.getRaft().getBindAddress();
			boolean hostPort = bindAddress.chars().filter((c) -> c == ':').count() == 1;
			if (!bindAddress.isEmpty() && (bindAddress.isBlank() || hostPort)) {
				problem(prefix + "raft.bind-address", bindAddress,
						"a host name or IP literal without port (the port is that of this node's nodes entry)");
			}
		}
		if (effective == GrpcScaleClusterProperties.Provider.KUBERNETES) {
			clusterKubernetes(prefix, cluster, electionName);
		}
		if (effective == GrpcScaleClusterProperties.Provider.ETCD) {
			// the keys set here; those inherited from discovery are checked under their own keys
			clusterEtcd(prefix + "etcd.", cluster.getEtcd());
		}
		if (effective == GrpcScaleClusterProperties.Provider.CONSUL) {
			GrpcScaleClusterProperties.Consul consul = cluster.getConsul();
			consulConnection(prefix + "consul.", consul);
			Duration delay = consul.getLockDelay();
			if (delay != null && (delay.isNegative() || delay.compareTo(MAX_LOCK_DELAY) > 0)) {
				problem(prefix + "consul.lock-delay", delay, ">= 0 and <= " + MAX_LOCK_DELAY + ", Consul's maximum");
			}
			else if (delay != null && heartbeatOk && electionOk
					&& cluster.getHeartbeatInterval().compareTo(cluster.getElectionTimeout()) < 0
					&& consul.getRequestTimeout() != null && !consul.getRequestTimeout().isNegative()) {
				// ConsulLeaderElection.minimumLockDelay, without loading the Consul classes
				Duration leaseValidity = LeaderElectionSettings.builder()
					.heartbeatInterval(cluster.getHeartbeatInterval())
					.electionTimeout(cluster.getElectionTimeout())
					.build()
					.leaseValidity();
				Duration notice = cluster.getHeartbeatInterval().plus(consul.getRequestTimeout());
				Duration minimum = (notice.compareTo(leaseValidity) < 0) ? notice : leaseValidity;
				if (delay.compareTo(minimum) < 0) {
					problem(prefix + "consul.lock-delay", delay, ">= " + minimum
							+ " = min(heartbeat-interval + request-timeout, election-timeout - safety margin): a leader "
							+ "whose session is destroyed behind its back notices only at its next renewal and stops "
							+ "claiming leadership after election-timeout - safety margin at the latest; unset, the "
							+ "minimum rounded up to whole seconds");
				}
			}
		}
	}

	private void clusterEtcd(String prefix, GrpcScaleDiscoveryProperties.EtcdConnection etcd) {
		List<String> endpoints = etcd.getEndpoints();
		for (int i = 0; i < endpoints.size(); i++) {
			if (etcdEndpointScheme(endpoints.get(i)) == null) {
				problem(prefix + "endpoints" + ((endpoints.size() > 1) ? "[" + i + "]" : ""),
						shownEndpoint(endpoints.get(i)), "http://host:port or https://host:port, no user info or path");
			}
		}
		if (etcd.getNamespace() == null || !ETCD_NAMESPACE.matcher(etcd.getNamespace()).matches()) {
			problem(prefix + "namespace", etcd.getNamespace(),
					"/segment[/segment...] of letters, digits, '.', '_' or '-', no trailing '/'");
		}
		maxInboundMessageSize(prefix, etcd);
		readable(prefix + "tls.ca-file", etcd.getTls().getCaFile());
		readable(prefix + "tls.cert-file", etcd.getTls().getCertFile());
		readable(prefix + "tls.key-file", etcd.getTls().getKeyFile());
	}

	private void maxInboundMessageSize(String prefix, GrpcScaleDiscoveryProperties.EtcdConnection etcd) {
		DataSize size = etcd.getMaxInboundMessageSize();
		// EtcdClients.MIN_MAX_INBOUND_MESSAGE_SIZE, without loading jetcd's classes
		if (size == null || size.toBytes() < 1024 * 1024
				|| size.toBytes() > Integer.MAX_VALUE) {
			problem(prefix + "max-inbound-message-size", size, ">= 1MB and < 2GB");
		}
	}

	/** Rejects keys that were bound but never used, naming what to set instead. */
	private void removedKeys(String prefix, Map<String, String> removed) {
		if (this.environment == null) {
			return;
		}
		removed.forEach((key, replacement) -> {
			ConfigurationPropertyName name = ConfigurationPropertyName.of(prefix + "." + key);
			for (ConfigurationPropertySource source : ConfigurationPropertySources.get(this.environment)) {
				ConfigurationProperty property = source.getConfigurationProperty(name);
				if (property != null) {
					String origin = (property.getOrigin() != null) ? " (set in " + property.getOrigin() + ")" : "";
					problem(key, property.getValue(), "no value: the key was removed, set " + replacement + origin);
					return;
				}
			}
		});
	}

	private void clusterKubernetes(String prefix, GrpcScaleClusterProperties cluster, @Nullable String electionName) {
		String namespace = cluster.getKubernetes().getNamespace();
		if (namespace != null && (namespace.length() > 63 || !KUBERNETES_NAME.matcher(namespace).matches())) {
			problem(prefix + "kubernetes.namespace", namespace,
					"a Kubernetes namespace: at most 63 characters of a-z, 0-9 and '-', beginning and ending with a "
							+ "letter or digit");
		}
		if (electionName != null && NAME.matcher(electionName).matches()) {
			try {
				LeaseNames.leaseName(KUBERNETES_ELECTION_NAMESPACE + "/" + electionName);
			}
			catch (IllegalArgumentException ex) {
				problem(prefix + "election-name", electionName, "a name that gives a Lease name with provider "
						+ "kubernetes: 'grpc-scale-' and the name lower-cased, every character other than a-z, 0-9 "
						+ "and '-' as '-', at most 63 characters, ending with a letter or digit"
						+ ((cluster.getElectionName() == null) ? "; it defaults to spring.application.name" : ""));
			}
		}
	}

	private void requireClasses(String key, String provider) {
		BACKEND_CLASSES.getOrDefault(provider, Map.of()).forEach((className, dependency) -> {
			if (!ClassUtils.isPresent(className, this.classLoader)) {
				problem(key, provider, dependency + " on the classpath (add the dependency) for provider '"
						+ provider + "'");
			}
		});
		if ("kubernetes".equals(provider) && this.classLoader.getResource(KUBERNETES_HTTP_CLIENTS) == null) {
			problem(key, provider, "a fabric8 HTTP client on the classpath for provider 'kubernetes', for example "
					+ "io.fabric8:kubernetes-httpclient-jdk");
		}
	}

	private static boolean isHostPort(String address) {
		int colon = address.lastIndexOf(':');
		if (colon <= 0 || colon == address.length() - 1) {
			return false;
		}
		try {
			int port = Integer.parseInt(address.substring(colon + 1));
			return port >= 1 && port <= 65535 && !address.substring(0, colon).isBlank();
		}
		catch (NumberFormatException ex) {
			return false;
		}
	}

	private boolean positive(String key, @Nullable Duration value) {
		if (value == null || value.isZero() || value.isNegative()) {
			problem(key, value, DURATION_EXPECTED);
			return false;
		}
		return true;
	}

	private static boolean isStatusCode(@Nullable String name) {
		if (name == null) {
			return false;
		}
		for (Status.Code code : Status.Code.values()) {
			if (code != Status.Code.OK && code.name().equals(name)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Reports one invalid value.
	 * @param key the key relative to the validated object's prefix
	 * @param value the bound value
	 * @param expected what a valid value looks like
	 */
	private void problem(String key, @Nullable Object value, String expected) {
		String shown = String.valueOf(value);
		String message = this.errors.getObjectName() + "." + key + ": '" + shown + "' (expected: " + expected + ")";
		String[] codes = { ERROR_CODE };
		Object[] arguments = { expected };
		if (this.errors instanceof BindingResult result) {
			// a field error of its own: the key is kebab-case and may not be a bean property path
			result.addError(new FieldError(result.getObjectName(), key, shown, false, codes, arguments, message));
		}
		else {
			this.errors.reject(ERROR_CODE, arguments, message);
		}
	}

}
