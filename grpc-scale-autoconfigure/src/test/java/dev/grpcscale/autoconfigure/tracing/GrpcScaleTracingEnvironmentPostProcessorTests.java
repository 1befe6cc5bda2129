package dev.grpcscale.autoconfigure.tracing;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.mock.env.MockEnvironment;

import dev.grpcscale.autoconfigure.GrpcScaleTracingProperties;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcScaleTracingEnvironmentPostProcessorTests {

	@Test
	void samplingServiceNameAndTagsMapOntoBootProperties() {
		GrpcScaleTracingProperties tracing = new GrpcScaleTracingProperties();
		tracing.setSamplingRate(0.25);
		tracing.setServiceName("orders");
		tracing.setTags(Map.of("deployment.environment", "prod"));
		assertThat(GrpcScaleTracingEnvironmentPostProcessor.map(tracing, null))
			.containsEntry("management.tracing.sampling.probability", 0.25)
			.containsEntry("management.opentelemetry.resource-attributes.service.name", "orders")
			.containsEntry("management.opentelemetry.resource-attributes.deployment.environment", "prod")
			.doesNotContainKey("management.opentelemetry.tracing.export.otlp.endpoint");
	}

	@Test
	void disabledRecordsNoSpanAndTurnsExportAndPropagationOff() {
		GrpcScaleTracingProperties tracing = new GrpcScaleTracingProperties();
		tracing.setEnabled(false);
		tracing.setSamplingRate(1.0);
		tracing.setJaegerEndpoint("http://jaeger:4318");
		assertThat(GrpcScaleTracingEnvironmentPostProcessor.map(tracing, null))
			.containsEntry("management.tracing.sampling.probability", 0.0)
			.containsEntry("management.tracing.export.enabled", false)
			.doesNotContainKey("management.opentelemetry.tracing.export.otlp.endpoint");
	}

	@Test
	void jaegerOtlpHttpPortGetsTracesPathAndHttpTransport() {
		GrpcScaleTracingProperties tracing = new GrpcScaleTracingProperties();
		tracing.setJaegerEndpoint("http://jaeger:4318");
		assertThat(GrpcScaleTracingEnvironmentPostProcessor.map(tracing, null))
			.containsEntry("management.opentelemetry.tracing.export.otlp.endpoint", "http://jaeger:4318/v1/traces")
			.containsEntry("management.opentelemetry.tracing.export.otlp.transport", "http");
		tracing.setJaegerEndpoint("https://collector.example/custom/path");
		assertThat(GrpcScaleTracingEnvironmentPostProcessor.map(tracing, null))
			.containsEntry("management.opentelemetry.tracing.export.otlp.endpoint", "https://collector.example/custom/path");
	}

	@Test
	void jaegerOtlpGrpcPortSelectsGrpcTransportUnchanged() {
		GrpcScaleTracingProperties tracing = new GrpcScaleTracingProperties();
		tracing.setJaegerEndpoint("http://jaeger:4317");
		assertThat(GrpcScaleTracingEnvironmentPostProcessor.map(tracing, null))
			.containsEntry("management.opentelemetry.tracing.export.otlp.endpoint", "http://jaeger:4317")
			.containsEntry("management.opentelemetry.tracing.export.otlp.transport", "grpc");
	}

	@Test
	void explicitBootTransportDecides() {
		GrpcScaleTracingProperties tracing = new GrpcScaleTracingProperties();
		tracing.setJaegerEndpoint("http://127.0.0.1:34567");
		assertThat(GrpcScaleTracingEnvironmentPostProcessor.map(tracing, "grpc"))
			.containsEntry("management.opentelemetry.tracing.export.otlp.endpoint", "http://127.0.0.1:34567")
			.containsEntry("management.opentelemetry.tracing.export.otlp.transport", "grpc");
	}

	@Test
	void mappedValuesHaveLowestPrecedenceSoBootPropertiesWin() {
		MockEnvironment environment = new MockEnvironment().withProperty("grpc.scale.tracing.sampling-rate", "0.5")
			.withProperty("grpc.scale.tracing.service-name", "orders")
			.withProperty("management.tracing.sampling.probability", "0.9");
		new GrpcScaleTracingEnvironmentPostProcessor().postProcessEnvironment(environment, new SpringApplication());
		assertThat(environment.getProperty("management.tracing.sampling.probability")).isEqualTo("0.9");
		assertThat(environment.getProperty("management.opentelemetry.resource-attributes.service.name"))
			.isEqualTo("orders");
		assertThat(environment.getPropertySources().stream().reduce((first, second) -> second).orElseThrow().getName())
			.isEqualTo(GrpcScaleTracingEnvironmentPostProcessor.PROPERTY_SOURCE_NAME);
	}

	@Test
	void withoutGrpcScaleTracingPropertiesNothingIsAddedAndBootDefaultsApply() {
		// Boot's default sampling probability is 0.1, the seed's default sampling rate
		StandardEnvironment environment = new StandardEnvironment();
		new GrpcScaleTracingEnvironmentPostProcessor().postProcessEnvironment(environment, new SpringApplication());
		assertThat(environment.getPropertySources().contains(GrpcScaleTracingEnvironmentPostProcessor.PROPERTY_SOURCE_NAME))
			.isFalse();
		assertThat(environment.getProperty("management.tracing.sampling.probability")).isNull();
		assertThat(environment.getProperty("management.opentelemetry.tracing.export.otlp.endpoint")).isNull();
	}

}
