package dev.grpcscale.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.server.lifecycle.GrpcServerShutdownEvent;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shutdown order over real Netty: health NOT_SERVING and deregistration happen while the server
 * still accepts calls, before Boot drains.
 */
class ShutdownOrderTests {

	@Test
	void healthTurnsNotServingAndInstanceIsDeregisteredBeforeServerStopsAcceptingCalls() throws Exception {
		String namespace = TestServices.uniqueNamespace();
		List<String> events = new CopyOnWriteArrayList<>();
		AtomicReference<String> probeAtServerShutdown = new AtomicReference<>();
		AtomicReference<Integer> port = new AtomicReference<>();

		ApplicationListener<GrpcServerShutdownEvent> probe = (event) -> {
			// Runs right before Boot calls server.shutdown(): the server must still accept new calls, while
			// health already says NOT_SERVING and discovery no longer lists the instance.
			ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port.get()).usePlaintext().build();
			try {
				String answer = SimpleServiceGrpc.newBlockingStub(channel)
					.withDeadlineAfter(Duration.ofSeconds(5))
					.unaryRpc(SimpleRequest.getDefaultInstance())
					.getResponseMessage();
				ServingStatus health = HealthGrpc.newBlockingStub(channel)
					.withDeadlineAfter(Duration.ofSeconds(5))
					.check(HealthCheckRequest.getDefaultInstance())
					.getStatus();
				events.add("server-shutdown");
				probeAtServerShutdown.set(answer + "," + health);
			}
			finally {
				channel.shutdownNow();
			}
		};
		ConfigurableApplicationContext server = new SpringApplicationBuilder(TestServices.ServerApplication.class)
			.properties("spring.application.name=product-service", "spring.grpc.server.port=0",
					"spring.grpc.server.address=127.0.0.1", "spring.grpc.server.shutdown.grace-period=2s",
					"grpc.scale.service-discovery.memory.namespace=" + namespace, "test.server-name=p1",
					"management.otlp.metrics.export.enabled=false", "spring.main.web-application-type=none")
			.listeners(probe)
			.run();
		port.set(Integer.parseInt(server.getEnvironment().getProperty("local.grpc.server.port")));
		assertThat(server.getBean(EnhancedServiceManager.class).discoverServices("product-service")).hasSize(1);

		try (InMemoryServiceRegistry observer = InMemoryServiceRegistry.shared(namespace)) {
			observer.watch("product-service", (List<ServiceInstance> instances) -> {
				if (instances.isEmpty()) {
					events.add("deregistered");
				}
			});
			ManagedChannel watchChannel = ManagedChannelBuilder.forAddress("127.0.0.1", port.get())
				.usePlaintext()
				.build();
			List<ServingStatus> watched = new CopyOnWriteArrayList<>();
			HealthGrpc.newStub(watchChannel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
				@Override
				public void onNext(HealthCheckResponse response) {
					watched.add(response.getStatus());
					if (response.getStatus() == ServingStatus.NOT_SERVING) {
						events.add("watch-not-serving");
					}
				}

				@Override
				public void onError(Throwable t) {
					events.add("watch-error " + t);
				}

				@Override
				public void onCompleted() {
				}
			});
			await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(watched).as(events.toString()).contains(ServingStatus.SERVING));

			server.close();

			assertThat(probeAtServerShutdown.get()).isEqualTo("p1,NOT_SERVING");
			assertThat(events).containsSubsequence("deregistered", "server-shutdown");
			await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("watch-not-serving"));
			assertThat(watched).containsSubsequence(ServingStatus.SERVING, ServingStatus.NOT_SERVING);
			watchChannel.shutdownNow();
		}
	}

}
