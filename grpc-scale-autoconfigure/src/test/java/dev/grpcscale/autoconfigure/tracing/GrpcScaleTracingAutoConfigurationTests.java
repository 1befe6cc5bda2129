package dev.grpcscale.autoconfigure.tracing;

import java.util.Map;

import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(OutputCaptureExtension.class)
class GrpcScaleTracingAutoConfigurationTests {

	private static final String NO_EFFECT = "no effect";

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GrpcScaleTracingAutoConfiguration.class));

	@Test
	void withoutOpenTelemetryOneWarningNamesEverySetKeyAndTheStarterThatWouldGiveThemEffect(CapturedOutput output) {
		this.runner.withClassLoader(new FilteredClassLoader(OtelTracer.class))
			.withPropertyValues("grpc.scale.tracing.service-name=orders", "grpc.scale.tracing.sampling-rate=1.0",
					"grpc.scale.tracing.jaeger-endpoint=http://jaeger:4318", "grpc.scale.tracing.tags.team=checkout")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(output.getOut().lines().filter((line) -> line.contains(NO_EFFECT)))
					.singleElement()
					.satisfies((line) -> assertThat(line).contains("WARN")
						.contains("grpc.scale.tracing.service-name, grpc.scale.tracing.sampling-rate, "
								+ "grpc.scale.tracing.tags.team, grpc.scale.tracing.jaeger-endpoint have no effect")
						.contains("org.springframework.boot:spring-boot-starter-opentelemetry"));
			});
	}

	@Test
	void withoutOpenTelemetryOnlyTheKeysSetAreNamedInWhateverFormTheyWereSet(CapturedOutput output) {
		this.runner.withClassLoader(new FilteredClassLoader(OtelTracer.class))
			.withInitializer((context) -> context.getEnvironment()
				.getPropertySources()
				.replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
						new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
								Map.of("GRPC_SCALE_TRACING_SAMPLINGRATE", "0.5"))))
			.run((context) -> assertThat(output.getOut().lines().filter((line) -> line.contains(NO_EFFECT)))
				.singleElement()
				.satisfies((line) -> assertThat(line).contains("grpc.scale.tracing.sampling-rate has no effect")
					.doesNotContain("service-name")
					.doesNotContain("jaeger-endpoint")));
	}

	@Test
	void withTracingButWithoutTheOtlpExporterOnlyTheEndpointIsNamedWithTheExporter(CapturedOutput output) {
		this.runner.withClassLoader(new FilteredClassLoader(OtlpHttpSpanExporter.class))
			.withPropertyValues("grpc.scale.tracing.service-name=orders",
					"grpc.scale.tracing.jaeger-endpoint=http://jaeger:4318")
			.run((context) -> assertThat(output.getOut().lines().filter((line) -> line.contains(NO_EFFECT)))
				.singleElement()
				.satisfies((line) -> assertThat(line).contains("grpc.scale.tracing.jaeger-endpoint has no effect")
					.contains("io.opentelemetry:opentelemetry-exporter-otlp")
					.doesNotContain("service-name")));
	}

	@Test
	void withOpenTelemetryOnTheClasspathNothingIsLogged(CapturedOutput output) {
		this.runner
			.withPropertyValues("grpc.scale.tracing.service-name=orders", "grpc.scale.tracing.sampling-rate=1.0",
					"grpc.scale.tracing.jaeger-endpoint=http://jaeger:4318", "grpc.scale.tracing.tags.team=checkout")
			.run((context) -> {
				assertThat(context).hasSingleBean(TracingClasspathWarning.class);
				assertThat(output).doesNotContain(NO_EFFECT);
			});
	}

	@Test
	void withoutOpenTelemetryAndWithoutTracingKeysNothingIsLogged(CapturedOutput output) {
		this.runner.withClassLoader(new FilteredClassLoader(OtelTracer.class))
			.run((context) -> assertThat(output).doesNotContain(NO_EFFECT));
	}

	@Test
	void tracingDisabledSilencesTheWarning(CapturedOutput output) {
		this.runner.withClassLoader(new FilteredClassLoader(OtelTracer.class))
			.withPropertyValues("grpc.scale.tracing.enabled=false", "grpc.scale.tracing.service-name=orders")
			.run((context) -> {
				assertThat(context).doesNotHaveBean(TracingClasspathWarning.class);
				assertThat(output).doesNotContain(NO_EFFECT);
			});
	}

	@Test
	void userDefinedWarningBeanReplacesOurs() {
		this.runner.withBean("custom", TracingClasspathWarning.class, () -> new TracingClasspathWarning(
				new MockEnvironment()))
			.run((context) -> assertThat(context).getBean(TracingClasspathWarning.class)
				.isSameAs(context.getBean("custom")));
	}

}
