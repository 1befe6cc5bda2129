package dev.grpcscale.autoconfigure.tracing;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

import dev.grpcscale.autoconfigure.GrpcScaleTracingProperties;

/**
 * Maps {@code grpc.scale.tracing.*} onto the properties of Spring Boot's tracing, so the seed's settings
 * drive Boot's own Micrometer Tracing and OpenTelemetry export (grpc-scale adds no second tracer):
 *
 * <ul>
 * <li>{@code sampling-rate} → {@code management.tracing.sampling.probability};</li>
 * <li>{@code service-name} → {@code management.opentelemetry.resource-attributes.service.name};</li>
 * <li>{@code tags.<k>} → {@code management.opentelemetry.resource-attributes.<k>};</li>
 * <li>{@code jaeger-endpoint} → {@code management.opentelemetry.tracing.export.otlp.endpoint} and
 * {@code .transport}: port 4317 is OTLP over gRPC, any other port OTLP over HTTP, where a URL without a
 * path gets {@code /v1/traces}. A transport set with Boot's own
 * {@code management.opentelemetry.tracing.export.otlp.transport} decides instead (for an OTLP/gRPC
 * receiver on another port).</li>
 * </ul>
 *
 * {@code enabled: false} maps instead onto {@code management.tracing.sampling.probability=0.0} and
 * {@code management.tracing.export.enabled=false}: no span is recorded or exported and no trace context is
 * propagated (grpc-scale's own operation spans are left out as well, by its auto-configuration).
 * <p>
 * The mapped values form the property source of lowest precedence: a Boot property set anywhere (file,
 * environment, command line) wins over the grpc-scale one it would map to. Invalid values are left out
 * here or mapped as they are, and reported by grpc-scale's start-up validation, which stops the
 * application (a legacy Jaeger port, for example).
 */
public class GrpcScaleTracingEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

	/** Name of the property source this post-processor adds. */
	public static final String PROPERTY_SOURCE_NAME = "grpcScaleTracing";

	/** After config data, so {@code application.yml} is visible. */
	public static final int ORDER = ConfigDataEnvironmentPostProcessor.ORDER + 1;

	private static final String RESOURCE_ATTRIBUTES = "management.opentelemetry.resource-attributes.";

	private static final String SAMPLING_PROBABILITY = "management.tracing.sampling.probability";

	private static final String TRANSPORT = "management.opentelemetry.tracing.export.otlp.transport";

	@Override
	public int getOrder() {
		return ORDER;
	}

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		GrpcScaleTracingProperties tracing;
		try {
			tracing = Binder.get(environment)
				.bind("grpc.scale.tracing", Bindable.of(GrpcScaleTracingProperties.class))
				.orElse(null);
		}
		catch (RuntimeException ex) {
			// a value that does not even bind is reported by Boot's binding failure analysis later
			return;
		}
		if (tracing == null) {
			return;
		}
		Map<String, Object> mapped = map(tracing, environment.getProperty(TRANSPORT));
		if (!mapped.isEmpty()) {
			environment.getPropertySources().addLast(new MapPropertySource(PROPERTY_SOURCE_NAME, mapped));
		}
	}

	static Map<String, Object> map(GrpcScaleTracingProperties tracing, @Nullable String explicitTransport) {
		Map<String, Object> mapped = new LinkedHashMap<>();
		if (!tracing.isEnabled()) {
			// off: no span recorded, none exported, no trace context propagated
			mapped.put(SAMPLING_PROBABILITY, 0.0);
			mapped.put("management.tracing.export.enabled", false);
			return mapped;
		}
		double rate = tracing.getSamplingRate();
		if (rate >= 0.0 && rate <= 1.0) {
			mapped.put(SAMPLING_PROBABILITY, rate);
		}
		tracing.getTags().forEach((key, value) -> mapped.put(RESOURCE_ATTRIBUTES + key, value));
		String serviceName = tracing.getServiceName();
		if (serviceName != null && !serviceName.isBlank()) {
			mapped.put(RESOURCE_ATTRIBUTES + "service.name", serviceName);
		}
		URI endpoint = tracing.otlpEndpoint();
		if (endpoint != null) {
			boolean grpc = (explicitTransport != null) ? "grpc".equalsIgnoreCase(explicitTransport.trim())
					: endpoint.getPort() == 4317;
			String url = endpoint.toString();
			if (!grpc && (endpoint.getPath() == null || endpoint.getPath().isEmpty() || endpoint.getPath().equals("/"))) {
				url = url.replaceAll("/$", "") + "/v1/traces";
			}
			mapped.put("management.opentelemetry.tracing.export.otlp.endpoint", url);
			mapped.put(TRANSPORT, grpc ? "grpc" : "http");
		}
		return mapped;
	}

}
