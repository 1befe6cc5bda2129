package dev.grpcscale.autoconfigure;

import java.net.URI;
import java.util.Set;

/**
 * Checks {@code grpc.scale.tracing.*}: the sampling rate, and that the Jaeger endpoint is an http(s) URL of
 * an OTLP receiver rather than one of Jaeger's legacy ports. Reports to the shared {@link PropertyProblems};
 * part of {@link GrpcScalePropertiesValidator}.
 */
final class TracingPropertiesChecker {

	/** Legacy Jaeger collector/agent ports that do not speak OTLP. */
	private static final Set<Integer> LEGACY_JAEGER_PORTS = Set.of(14268, 14250, 6831, 6832);

	private final PropertyProblems problems;

	/**
	 * A checker reporting to the given problems.
	 * @param problems where every invalid value is reported
	 */
	TracingPropertiesChecker(PropertyProblems problems) {
		this.problems = problems;
	}

	/**
	 * Checks the tracing properties.
	 * @param tracing the bound properties
	 */
	void check(GrpcScaleTracingProperties tracing) {
		this.problems.inRange("sampling-rate", tracing.getSamplingRate(), 0.0, 1.0, "a number from 0.0 to 1.0");
		String endpoint = tracing.getJaegerEndpoint();
		if (endpoint == null || endpoint.isBlank()) {
			return;
		}
		URI uri = tracing.otlpEndpoint();
		if (uri == null) {
			this.problems.add("jaeger-endpoint", endpoint,
					"an http(s) URL of an OTLP receiver, for example http://localhost:4318/v1/traces");
		}
		else if (LEGACY_JAEGER_PORTS.contains(uri.getPort())) {
			this.problems.add("jaeger-endpoint", endpoint, "Jaeger's OTLP port: 4318 (OTLP over HTTP, "
					+ "http://<host>:4318/v1/traces) or 4317 (OTLP over gRPC); port " + uri.getPort()
					+ " is a legacy Jaeger Thrift/gRPC port that grpc-scale does not speak");
		}
	}

}
