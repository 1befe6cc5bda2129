package dev.grpcscale.autoconfigure.tracing;

import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.micrometer.tracing.autoconfigure.TracingProperties;
import org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.SpanExporters;
import org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.otlp.OtlpTracingConnectionDetails;
import org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.otlp.OtlpTracingProperties;
import org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.otlp.Transport;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.grpcscale.EnhancedServiceStatus;
import dev.grpcscale.tracing.TracingStatusSource;

/**
 * Auto-configuration of the {@code tracing} section of {@code getEnhancedServiceStatus()} (and of
 * {@code /actuator/grpcscale}): with Spring Boot's OpenTelemetry tracing, an {@link OpenTelemetryTracingStatus}
 * reading its sampling probability and OTLP endpoint, and Boot's span exporters each wrapped in a
 * {@link CountingSpanExporter} (grpc-scale's {@link SpanExporters} bean takes the place of Boot's, which
 * backs off) so the section can tell how many spans were exported and dropped. Without OpenTelemetry (or
 * with Boot's tracing off) the section says tracing is unavailable.
 */
@AutoConfiguration(
		beforeName = "org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration")
public final class GrpcScaleTracingStatusAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ SdkTracerProvider.class, SpanExporters.class, TracingProperties.class })
	static class OpenTelemetryConfiguration {

		/** Boot's span exporters, each counted; Boot's own {@code spanExporters} bean backs off. */
		@Bean
		@ConditionalOnMissingBean
		SpanExporters grpcScaleCountingSpanExporters(ObjectProvider<SpanExporter> exporters) {
			return SpanExporters.of(exporters.orderedStream().map(CountingSpanExporter::new).toList());
		}

		/**
		 * The section from Boot's tracing beans, looked up when asked for: this configuration runs before
		 * Boot's OpenTelemetry tracing configuration (so that its exporters are counted).
		 */
		@Bean
		@ConditionalOnMissingBean(TracingStatusSource.class)
		OpenTelemetryTracingStatus grpcScaleTracingStatus(ObjectProvider<SdkTracerProvider> tracerProvider,
				ObjectProvider<TracingProperties> tracing, SpanExporters exporters,
				ObjectProvider<OtlpTracingConnectionDetails> connection, ObjectProvider<OtlpTracingProperties> otlp) {
			return new OpenTelemetryTracingStatus(() -> {
				TracingProperties properties = tracing.getIfAvailable();
				return (properties != null && tracerProvider.getIfAvailable() != null)
						? properties.getSampling().getProbability() : null;
			}, () -> endpoint(exporters, connection.getIfAvailable(), otlp.getIfAvailable()), exporters.list());
		}

		/** The OTLP endpoint Boot's exporter was built with, or {@code null} without an exporter. */
		private static @Nullable String endpoint(SpanExporters exporters, @Nullable OtlpTracingConnectionDetails details,
				@Nullable OtlpTracingProperties properties) {
			if (details == null || exporters.list().isEmpty()) {
				return null;
			}
			Transport transport = (properties != null && properties.getTransport() != null) ? properties.getTransport()
					: Transport.HTTP;
			return details.getUrl(transport);
		}

	}

	/** Without Boot's OpenTelemetry tracing: the section says tracing is unavailable. */
	@Bean
	@ConditionalOnMissingBean(TracingStatusSource.class)
	TracingStatusSource grpcScaleUnavailableTracingStatus() {
		return EnhancedServiceStatus.Tracing::unavailable;
	}

}
