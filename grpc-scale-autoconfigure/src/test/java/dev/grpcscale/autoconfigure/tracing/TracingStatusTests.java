package dev.grpcscale.autoconfigure.tracing;

import java.net.ServerSocket;
import java.time.Duration;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.EnhancedServiceStatus;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.tracing.TracingStatusSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code tracing} section of the status: sampling, OTLP endpoint, and spans exported and dropped as
 * counted around Boot's span exporter, against a real OTLP receiver and against an endpoint nothing listens
 * on; unavailable without OpenTelemetry.
 */
class TracingStatusTests {

	@Test
	void sectionTellsSamplingEndpointAndSpansTheReceiverGot() throws Exception {
		try (OtlpTraceReceiver receiver = new OtlpTraceReceiver()) {
			ConfigurableApplicationContext client = TestServices.startClient(TestServices.uniqueNamespace(),
					TracingTestProperties.of(receiver.endpoint(), "1.0"));
			try {
				EnhancedServiceManager manager = client.getBean(EnhancedServiceManager.class);
				EnhancedServiceStatus.Tracing before = manager.getEnhancedServiceStatus().tracing();
				assertThat(before.available()).isTrue();
				assertThat(before.enabled()).isTrue();
				assertThat(before.samplingProbability()).isEqualTo(1.0);
				assertThat(before.exporterEndpoint()).isEqualTo(receiver.endpoint());
				ObservationRegistry registry = client.getBean(ObservationRegistry.class);
				for (int i = 0; i < 25; i++) {
					Observation.createNotStarted("status-probe", registry).observe(() -> {
					});
				}
				await().atMost(Duration.ofSeconds(20))
					.until(() -> receiver.spans().stream().filter((span) -> span.span().getName().equals("status-probe")).count() == 25);
				await().atMost(Duration.ofSeconds(10))
					.until(() -> manager.getEnhancedServiceStatus().tracing().spansExported() == receiver.spans().size());
				assertThat(manager.getEnhancedServiceStatus().tracing().spansDropped()).isZero();
			}
			finally {
				client.close();
			}
		}
	}

	@Test
	void spansOfFailedExportsCountAsDropped() throws Exception {
		String deadEndpoint;
		try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
			deadEndpoint = "http://127.0.0.1:" + socket.getLocalPort();
		}
		ConfigurableApplicationContext client = TestServices.startClient(TestServices.uniqueNamespace(),
				TracingTestProperties.of(deadEndpoint, "1.0", "management.opentelemetry.tracing.export.timeout=2s"));
		try {
			EnhancedServiceManager manager = client.getBean(EnhancedServiceManager.class);
			ObservationRegistry registry = client.getBean(ObservationRegistry.class);
			for (int i = 0; i < 10; i++) {
				Observation.createNotStarted("lost", registry).observe(() -> {
				});
			}
			await().atMost(Duration.ofSeconds(30))
				.until(() -> manager.getEnhancedServiceStatus().tracing().spansDropped() == 10);
			assertThat(manager.getEnhancedServiceStatus().tracing().spansExported()).isZero();
			assertThat(manager.getEnhancedServiceStatus().tracing().exporterEndpoint()).isEqualTo(deadEndpoint);
		}
		finally {
			client.close();
		}
	}

	@Test
	void tracingSwitchedOffIsAvailableButNotEnabledAndExportsNowhere() {
		ConfigurableApplicationContext client = TestServices.startClient(TestServices.uniqueNamespace(),
				TracingTestProperties.of("http://127.0.0.1:1", "1.0", "grpc.scale.tracing.enabled=false"));
		try {
			assertThat(client.getBean(EnhancedServiceManager.class).getEnhancedServiceStatus().tracing())
				.isEqualTo(new EnhancedServiceStatus.Tracing(true, false, 0.0, null, 0L, 0L));
		}
		finally {
			client.close();
		}
	}

	@Test
	void withoutOpenTelemetryTheSectionSaysTracingIsUnavailable() {
		runner().withClassLoader(new FilteredClassLoader(SdkTracerProvider.class)).run((context) -> {
			assertThat(context).doesNotHaveBean(OpenTelemetryTracingStatus.class);
			assertThat(context.getBean(EnhancedServiceManager.class).getEnhancedServiceStatus().tracing())
				.isEqualTo(EnhancedServiceStatus.Tracing.unavailable());
		});
	}

	@Test
	void userSourceReplacesOurs() {
		TracingStatusSource own = () -> new EnhancedServiceStatus.Tracing(true, true, 0.25, "zipkin", null, null);
		runner().withBean(TracingStatusSource.class, () -> own).run((context) -> {
			assertThat(context).hasSingleBean(TracingStatusSource.class);
			assertThat(context.getBean(EnhancedServiceManager.class).getEnhancedServiceStatus().tracing().exporterEndpoint())
				.isEqualTo("zipkin");
		});
	}

	private static ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
					GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleTracingStatusAutoConfiguration.class))
			.withPropertyValues("grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace());
	}

}
