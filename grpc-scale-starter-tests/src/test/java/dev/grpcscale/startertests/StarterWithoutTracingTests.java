package dev.grpcscale.startertests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application that left tracing out on purpose, excluding {@code spring-boot-starter-opentelemetry} from
 * the starter, but still sets {@code grpc.scale.tracing.*} keys: it starts and serves, and logs one warning
 * naming those keys and the dependency. Runs in the module's {@code without-opentelemetry} surefire
 * execution, whose classpath lacks every artifact that exclusion removes.
 */
@ExtendWith(OutputCaptureExtension.class)
class StarterWithoutTracingTests {

	@Test
	void tracingKeysWithoutTheOpenTelemetryStarterGiveOneWarningNamingThemAndTheDependency(CapturedOutput output)
			throws Exception {
		// a precondition, not an assumption: on a classpath with OpenTelemetry (an IDE run) this fails, never skips
		String classpath = "the without-opentelemetry surefire execution's classpath (./mvnw verify runs it)";
		assertThat(ClassUtils.isPresent("io.micrometer.tracing.otel.bridge.OtelTracer", null)).as(classpath).isFalse();
		assertThat(ClassUtils.isPresent("io.opentelemetry.api.OpenTelemetry", null)).as(classpath).isFalse();

		try (ConfigurableApplicationContext application = StarterApplications.run("product-service",
				StarterApplications.uniqueNamespace(), "grpc.scale.tracing.sampling-rate=1.0",
				"grpc.scale.tracing.service-name=products", "grpc.scale.tracing.jaeger-endpoint=http://127.0.0.1:4318")) {
			assertThat(StarterTracingTests.callProductService(application)).isEqualTo("product-service");
		}

		assertThat(output.getOut().lines().filter((line) -> line.contains("no effect")))
			.singleElement()
			.satisfies((line) -> assertThat(line).contains("WARN")
				.contains("grpc.scale.tracing.service-name, grpc.scale.tracing.sampling-rate, "
						+ "grpc.scale.tracing.jaeger-endpoint have no effect")
				.contains("org.springframework.boot:spring-boot-starter-opentelemetry"));
	}

}
