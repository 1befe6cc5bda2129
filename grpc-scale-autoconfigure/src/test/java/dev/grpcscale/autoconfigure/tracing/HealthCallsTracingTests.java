package dev.grpcscale.autoconfigure.tracing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.micrometer.core.instrument.binder.grpc.GrpcClientObservationContext;
import io.micrometer.core.instrument.binder.grpc.GrpcServerObservationContext;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.client.GrpcChannelFactory;

import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.health.HealthCheckListener;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;
import dev.grpcscale.health.InstanceHealth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Health checks leave no trace: with tracing on at a sampling of 1.0 and an OTLP receiver, grpc-scale's
 * probes and {@code grpc.health.v1.Health} calls over Boot's own channels produce no observation (on the
 * calling or the serving side) and no span, while an ordinary call produces both.
 */
class HealthCallsTracingTests {

	@Test
	void probesAndHealthServiceCallsMakeNoObservationNorSpanWhileOrdinaryCallsDo() throws Exception {
		try (OtlpTraceReceiver receiver = new OtlpTraceReceiver()) {
			String namespace = TestServices.uniqueNamespace();
			ConfigurableApplicationContext server = TestServices.startServer("product-service", "p1", namespace,
					TracingTestProperties.of(receiver.endpoint(), "1.0", "grpc.scale.tracing.service-name=products-traced"));
			ConfigurableApplicationContext client = TestServices.startClient(namespace,
					TracingTestProperties.of(receiver.endpoint(), "1.0", "grpc.scale.tracing.service-name=users-traced",
							"grpc.scale.health-check.interval=100ms"));
			Recorder serverSide = new Recorder();
			Recorder clientSide = new Recorder();
			server.getBean(ObservationRegistry.class).observationConfig().observationHandler(serverSide);
			client.getBean(ObservationRegistry.class).observationConfig().observationHandler(clientSide);
			AtomicInteger probes = new AtomicInteger();
			client.getBean(HealthCheckingServiceDiscovery.class).addListener(new HealthCheckListener() {
				@Override
				public void onCheck(InstanceHealth health) {
					if (health.lastCheckSucceeded()) {
						probes.incrementAndGet();
					}
				}
			});
			ManagedChannel channel = client.getBean(GrpcChannelFactory.class).createChannel("discovery:///product-service");
			try {
				// the client calls the service, which makes its prober follow the service's instances
				assertThat(SimpleServiceGrpc.newBlockingStub(channel)
					.withDeadlineAfter(Duration.ofSeconds(5))
					.unaryRpc(SimpleRequest.getDefaultInstance())
					.getResponseMessage()).isEqualTo("p1");
				await().atMost(Duration.ofSeconds(20)).until(() -> probes.get() >= 5);
				// a health check over one of Boot's channels, which carry its client observation interceptor
				HealthCheckResponse health = HealthGrpc.newBlockingStub(channel)
					.withDeadlineAfter(Duration.ofSeconds(5))
					.check(HealthCheckRequest.getDefaultInstance());
				assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
			}
			finally {
				channel.shutdownNow();
				// closing the contexts flushes their batch span processors
				client.close();
				server.close();
			}
			assertThat(serverSide.services()).contains("grpc.testing.SimpleService")
				.doesNotContain(HealthGrpc.SERVICE_NAME);
			assertThat(clientSide.services()).contains("grpc.testing.SimpleService")
				.doesNotContain(HealthGrpc.SERVICE_NAME);
			await().atMost(Duration.ofSeconds(10))
				.until(() -> receiver.spans().stream().filter((span) -> span.span().getName().contains("SimpleService")).count() >= 2);
			assertThat(receiver.spans()).noneMatch((span) -> span.span().getName().contains("grpc.health.v1"));
		}
	}

	/** Records the gRPC service of every gRPC observation started. */
	private static final class Recorder implements ObservationHandler<Observation.Context> {

		private final List<String> services = new CopyOnWriteArrayList<>();

		@Override
		public void onStart(Observation.Context context) {
			if (context instanceof GrpcServerObservationContext server) {
				this.services.add(server.getServiceName());
			}
			else if (context instanceof GrpcClientObservationContext client) {
				this.services.add(client.getServiceName());
			}
		}

		@Override
		public boolean supportsContext(Observation.Context context) {
			return true;
		}

		List<String> services() {
			return this.services;
		}

	}

}
