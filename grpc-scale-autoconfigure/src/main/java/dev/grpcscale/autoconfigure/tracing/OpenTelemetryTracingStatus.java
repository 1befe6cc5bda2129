package dev.grpcscale.autoconfigure.tracing;

import java.util.List;
import java.util.function.Supplier;

import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.EnhancedServiceStatus;
import dev.grpcscale.tracing.TracingStatusSource;

/**
 * The {@code tracing} section of the status from Spring Boot's OpenTelemetry set-up: tracing is available
 * when Boot built OpenTelemetry's tracer provider, on while the sampling probability
 * ({@code management.tracing.sampling.probability}, which {@code grpc.scale.tracing.sampling-rate} sets) is
 * above 0, exporting to the OTLP endpoint Boot's exporter was built with. Exported and dropped spans are
 * those counted by grpc-scale's wrapper around each of Boot's span exporters ({@link CountingSpanExporter}),
 * summed; {@code null} when an exporter is not wrapped (the application replaced Boot's exporter list).
 */
final class OpenTelemetryTracingStatus implements TracingStatusSource {

	private final Supplier<@Nullable Float> samplingProbability;

	private final Supplier<@Nullable String> endpoint;

	private final List<SpanExporter> exporters;

	/**
	 * @param samplingProbability the sampling probability, or {@code null} when Boot's tracing is not set up
	 * @param endpoint the OTLP endpoint of the exporter, or {@code null} without an OTLP exporter
	 * @param exporters Boot's span exporters
	 */
	OpenTelemetryTracingStatus(Supplier<@Nullable Float> samplingProbability, Supplier<@Nullable String> endpoint,
			List<SpanExporter> exporters) {
		this.samplingProbability = samplingProbability;
		this.endpoint = endpoint;
		this.exporters = List.copyOf(exporters);
	}

	@Override
	public EnhancedServiceStatus.Tracing tracingStatus() {
		Float sampling = this.samplingProbability.get();
		if (sampling == null) {
			return EnhancedServiceStatus.Tracing.unavailable();
		}
		Long exported = null;
		Long dropped = null;
		if (this.exporters.stream().allMatch(CountingSpanExporter.class::isInstance)) {
			exported = 0L;
			dropped = 0L;
			for (SpanExporter exporter : this.exporters) {
				exported += ((CountingSpanExporter) exporter).exported();
				dropped += ((CountingSpanExporter) exporter).dropped();
			}
		}
		// the float's own decimal (0.1, not 0.10000000149011612)
		double probability = Double.parseDouble(Float.toString(sampling));
		return new EnhancedServiceStatus.Tracing(true, probability > 0, probability, this.endpoint.get(), exported,
				dropped);
	}

}
