package dev.grpcscale.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.grpc.Status;
import org.jspecify.annotations.Nullable;
import org.springframework.util.ClassUtils;

import dev.grpcscale.autoconfigure.InvalidGrpcScalePropertiesException.Problem;

/**
 * Checks bound {@link GrpcScaleProperties} and reports every invalid value at once.
 */
final class GrpcScalePropertiesValidator {

	/** Discovery backends this version provides. */
	static final List<String> DISCOVERY_PROVIDERS = List.of("memory", "etcd", "consul");

	/** Cluster backends this version provides. */
	static final List<String> CLUSTER_PROVIDERS = List.of("memory", "etcd", "consul");

	/** Health checks a Consul registration can carry. */
	static final List<String> CONSUL_CHECK_TYPES = List.of("grpc", "ttl");

	private static final String ETCD_CLIENT = "io.etcd.jetcd.Client";

	private static final String JSON = "tools.jackson.databind.json.JsonMapper";

	/** Legacy Jaeger collector/agent ports that do not speak OTLP. */
	private static final Set<Integer> LEGACY_JAEGER_PORTS = Set.of(14268, 14250, 6831, 6832);

	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

	private static final Pattern FULL_METHOD = Pattern.compile("[A-Za-z0-9._-]+/([A-Za-z0-9_]+|\\*)");

	private static final String STATUS_CODES = Arrays.stream(Status.Code.values())
		.filter((code) -> code != Status.Code.OK)
		.map(Enum::name)
		.collect(Collectors.joining(", "));

	private final List<Problem> problems = new ArrayList<>();

	private final ClassLoader classLoader;

	private GrpcScalePropertiesValidator(ClassLoader classLoader) {
		this.classLoader = classLoader;
	}

	/**
	 * Validates the properties.
	 * @param properties the bound properties
	 * @param applicationName {@code spring.application.name}, the default service name
	 * @param classLoader where optional backend clients are looked for
	 * @throws InvalidGrpcScalePropertiesException listing every invalid value
	 */
	static void validate(GrpcScaleProperties properties, @Nullable String applicationName, ClassLoader classLoader) {
		GrpcScalePropertiesValidator validator = new GrpcScalePropertiesValidator(classLoader);
		validator.services(properties.getServices(), applicationName);
		validator.discovery(properties.getServiceDiscovery());
		validator.circuitBreaker(properties.getCircuitBreaker());
		validator.healthCheck(properties.getHealthCheck());
		validator.tracing(properties.getTracing());
		validator.cluster(properties.getCluster());
		if (!validator.problems.isEmpty()) {
			throw new InvalidGrpcScalePropertiesException(validator.problems);
		}
	}

	private void services(List<GrpcScaleProperties.Service> services, @Nullable String applicationName) {
		Set<String> seen = new HashSet<>();
		for (int i = 0; i < services.size(); i++) {
			GrpcScaleProperties.Service service = services.get(i);
			String prefix = "grpc.scale.services[" + i + "].";
			String name = (service.getName() != null) ? service.getName() : applicationName;
			if (name == null) {
				problem(prefix + "name", "", "a service name, or spring.application.name set");
			}
			else if (!NAME.matcher(name).matches()) {
				problem(prefix + "name", name, "letters, digits, '.', '_' or '-', not empty");
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

	private void discovery(GrpcScaleProperties.ServiceDiscovery discovery) {
		provider("grpc.scale.service-discovery.provider", discovery.getProvider(), DISCOVERY_PROVIDERS);
		if ("etcd".equals(discovery.getProvider())) {
			requireClasses("grpc.scale.service-discovery.provider", "etcd");
		}
		if ("consul".equals(discovery.getProvider())) {
			consul(discovery.getConsul());
		}
		if (discovery.getMemory().getNamespace() == null || discovery.getMemory().getNamespace().isBlank()) {
			problem("grpc.scale.service-discovery.memory.namespace", discovery.getMemory().getNamespace(),
					"a non-blank name");
		}
	}

	private void consul(GrpcScaleProperties.Consul consul) {
		String prefix = "grpc.scale.service-discovery.consul.";
		requireClasses("grpc.scale.service-discovery.provider", "consul");
		String checkType = consul.getCheckType();
		if (checkType == null || !CONSUL_CHECK_TYPES.contains(checkType.strip().toLowerCase(Locale.ROOT))) {
			problem(prefix + "check-type", checkType, "one of " + String.join(", ", CONSUL_CHECK_TYPES));
		}
		String scheme = consul.getScheme();
		if (scheme == null || !Set.of("http", "https").contains(scheme.strip().toLowerCase(Locale.ROOT))) {
			problem(prefix + "scheme", scheme, "http or https");
		}
	}

	private void circuitBreaker(GrpcScaleProperties.CircuitBreaker breaker) {
		String prefix = "grpc.scale.circuit-breaker.";
		if (breaker.getFailureThreshold() < 1) {
			problem(prefix + "failure-threshold", breaker.getFailureThreshold(), ">= 1");
		}
		positive(prefix + "recovery-timeout", breaker.getRecoveryTimeout());
		positive(prefix + "monitoring-period", breaker.getMonitoringPeriod());
		statusCodes(prefix + "expected-errors", breaker.getExpectedErrors());
		failureRate(prefix + "failure-rate-threshold", breaker.getFailureRateThreshold());
		List<String> excluded = breaker.getExcludedMethods();
		for (int i = 0; i < excluded.size(); i++) {
			String method = excluded.get(i);
			if (method == null || !FULL_METHOD.matcher(method).matches()) {
				problem(prefix + "excluded-methods[" + i + "]", method,
						"a full gRPC method name 'package.Service/Method' or 'package.Service/*'");
			}
		}
		breaker.getInstances().forEach((name, instance) -> {
			String instancePrefix = prefix + "instances." + name + ".";
			if (instance.getFailureThreshold() != null && instance.getFailureThreshold() < 1) {
				problem(instancePrefix + "failure-threshold", instance.getFailureThreshold(), ">= 1");
			}
			if (instance.getRecoveryTimeout() != null) {
				positive(instancePrefix + "recovery-timeout", instance.getRecoveryTimeout());
			}
			if (instance.getMonitoringPeriod() != null) {
				positive(instancePrefix + "monitoring-period", instance.getMonitoringPeriod());
			}
			if (instance.getExpectedErrors() != null) {
				statusCodes(instancePrefix + "expected-errors", instance.getExpectedErrors());
			}
			failureRate(instancePrefix + "failure-rate-threshold", instance.getFailureRateThreshold());
		});
	}

	private void statusCodes(String property, List<String> codes) {
		for (int i = 0; i < codes.size(); i++) {
			String code = codes.get(i);
			if (!isStatusCode((code != null) ? code.trim() : null)) {
				problem(property + "[" + i + "]", code, "a gRPC status code name: " + STATUS_CODES);
			}
		}
	}

	private void failureRate(String property, @Nullable Float rate) {
		if (rate != null && !(rate > 0.0f && rate <= 100.0f)) {
			problem(property, rate, "a percentage greater than 0 and at most 100");
		}
	}

	private void healthCheck(GrpcScaleProperties.HealthCheck health) {
		String prefix = "grpc.scale.health-check.";
		positive(prefix + "interval", health.getInterval());
		positive(prefix + "timeout", health.getTimeout());
		if (health.getRetries() < 1) {
			problem(prefix + "retries", health.getRetries(), ">= 1");
		}
	}

	private void tracing(GrpcScaleProperties.Tracing tracing) {
		double rate = tracing.getSamplingRate();
		if (!(rate >= 0.0 && rate <= 1.0)) {
			problem("grpc.scale.tracing.sampling-rate", rate, "a number from 0.0 to 1.0");
		}
		String endpoint = tracing.getJaegerEndpoint();
		if (endpoint != null && !endpoint.isBlank()) {
			java.net.URI uri;
			try {
				uri = java.net.URI.create(endpoint.trim());
			}
			catch (IllegalArgumentException ex) {
				uri = null;
			}
			if (uri == null || uri.getScheme() == null || uri.getHost() == null
					|| !Set.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))) {
				problem("grpc.scale.tracing.jaeger-endpoint", endpoint,
						"an http(s) URL of an OTLP receiver, for example http://localhost:4318/v1/traces");
			}
			else if (LEGACY_JAEGER_PORTS.contains(uri.getPort())) {
				problem("grpc.scale.tracing.jaeger-endpoint", endpoint, "Jaeger's OTLP port: 4318 (OTLP over HTTP, "
						+ "http://<host>:4318/v1/traces) or 4317 (OTLP over gRPC); port " + uri.getPort()
						+ " is a legacy Jaeger Thrift/gRPC port that grpc-scale does not speak");
			}
		}
	}

	private void cluster(GrpcScaleProperties.Cluster cluster) {
		String prefix = "grpc.scale.cluster.";
		provider(prefix + "provider", cluster.getProvider(), CLUSTER_PROVIDERS);
		if ("etcd".equals(cluster.getProvider()) || "consul".equals(cluster.getProvider())) {
			requireClasses(prefix + "provider", cluster.getProvider());
		}
		String electionName = cluster.getElectionName();
		if (electionName != null && !NAME.matcher(electionName).matches()) {
			problem(prefix + "election-name", electionName, "letters, digits, '.', '_' or '-', not empty");
		}
		boolean heartbeatOk = positive(prefix + "heartbeat-interval", cluster.getHeartbeatInterval());
		boolean electionOk = positive(prefix + "election-timeout", cluster.getElectionTimeout());
		if (heartbeatOk && electionOk && cluster.getHeartbeatInterval().compareTo(cluster.getElectionTimeout()) >= 0) {
			problem(prefix + "heartbeat-interval", cluster.getHeartbeatInterval(),
					"less than grpc.scale.cluster.election-timeout (" + cluster.getElectionTimeout() + ")");
		}
		String nodeId = cluster.getNodeId();
		if (nodeId != null && !NAME.matcher(nodeId).matches()) {
			problem(prefix + "node-id", nodeId, "letters, digits, '.', '_' or '-', not empty");
		}
	}

	private void provider(String property, @Nullable String value, List<String> providers) {
		if (value == null || !providers.contains(value)) {
			problem(property, value, "one of " + String.join(", ", providers));
		}
	}

	private boolean positive(String property, @Nullable Duration value) {
		if (value == null || value.isZero() || value.isNegative()) {
			problem(property, value, "a duration > 0, for example 500ms, 5s or 1m");
			return false;
		}
		return true;
	}

	/** The libraries a backend needs beyond the starter, by class name and dependency. */
	private static final java.util.Map<String, java.util.Map<String, String>> BACKEND_CLASSES = java.util.Map.of("etcd",
			java.util.Map.of(ETCD_CLIENT, "io.etcd:jetcd-core", JSON, "tools.jackson.core:jackson-databind"), "consul",
			java.util.Map.of(JSON, "tools.jackson.core:jackson-databind"));

	private void requireClasses(String property, String provider) {
		BACKEND_CLASSES.getOrDefault(provider, java.util.Map.of()).forEach((className, dependency) -> {
			if (!isPresent(className)) {
				problem(property, provider, dependency + " on the classpath (add the dependency) for provider '"
						+ provider + "'");
			}
		});
	}

	private boolean isPresent(String className) {
		return ClassUtils.isPresent(className, this.classLoader);
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

	private void problem(String property, @Nullable Object value, String expected) {
		this.problems.add(new Problem(property, String.valueOf(value), expected));
	}

}
