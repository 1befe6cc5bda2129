package dev.grpcscale.autoconfigure.tracing;

import java.util.ArrayList;
import java.util.List;

/** The properties of a test application that traces into an OTLP/gRPC endpoint through {@code grpc.scale.tracing.*}. */
final class TracingTestProperties {

	private TracingTestProperties() {
	}

	/**
	 * Tracing at {@code rate} into {@code endpoint} over OTLP/gRPC, exported every 100 ms, then {@code more}.
	 * @param endpoint the OTLP/gRPC endpoint
	 * @param rate the sampling rate
	 * @param more further {@code key=value} properties
	 * @return the properties
	 */
	static String[] of(String endpoint, String rate, String... more) {
		List<String> properties = new ArrayList<>(List.of("grpc.scale.tracing.sampling-rate=" + rate,
				"grpc.scale.tracing.jaeger-endpoint=" + endpoint,
				// the receiver speaks OTLP/gRPC on a free port rather than 4317: say so with Boot's property
				"management.opentelemetry.tracing.export.otlp.transport=grpc",
				"management.opentelemetry.tracing.export.schedule-delay=100ms"));
		properties.addAll(List.of(more));
		return properties.toArray(String[]::new);
	}

}
