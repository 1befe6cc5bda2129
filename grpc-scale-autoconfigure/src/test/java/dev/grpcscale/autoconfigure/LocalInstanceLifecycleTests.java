package dev.grpcscale.autoconfigure;

import java.time.Duration;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.ManagedChannelBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.LocalInstance;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The local instance's one lifecycle in real applications over Netty: registered and joined once the gRPC
 * server has started, {@code NOT_SERVING}, deregistered and resigned when it stops, and back when the
 * context starts again.
 */
@ExtendWith(OutputCaptureExtension.class)
class LocalInstanceLifecycleTests {

	@Test
	void contextStopThenStartComesBackServingRegisteredAndCampaigning() {
		String namespace = TestServices.uniqueNamespace();
		try (InMemoryServiceRegistry observer = InMemoryServiceRegistry.shared(namespace);
				ConfigurableApplicationContext context = TestServices.startServer("orders", "a", namespace,
						"grpc.scale.cluster.heartbeat-interval=100ms", "grpc.scale.cluster.election-timeout=1s",
						"grpc.scale.cluster.election-name=" + namespace)) {
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			LeaderElection election = context.getBean(LeaderElection.class);
			int port = port(context);
			assertThat(observer.getInstances("orders")).extracting(ServiceInstance::port).containsExactly(port);
			await().atMost(Duration.ofSeconds(10)).until(election::isLeader);
			assertThat(health(port)).isEqualTo(ServingStatus.SERVING);

			context.stop();
			assertThat(context.getBean(LocalInstance.class).state()).isEqualTo(LocalInstance.State.STOPPED);
			assertThat(observer.getInstances("orders")).isEmpty();
			assertThat(election.isLeader()).isFalse();
			assertThat(manager.getRegisteredServices()).isEmpty();

			context.start();
			int newPort = port(context);
			assertThat(context.getBean(LocalInstance.class).state()).isEqualTo(LocalInstance.State.STARTED);
			assertThat(observer.getInstances("orders")).extracting(ServiceInstance::port).containsExactly(newPort);
			assertThat(health(newPort)).isEqualTo(ServingStatus.SERVING);
			await().atMost(Duration.ofSeconds(10)).until(election::isLeader);
			assertThat(election.clusterInfo().leader().address()).endsWith(":" + newPort);
		}
	}

	@Test
	void servicesConfiguredWithoutAGrpcServerLogOneWarningNamingThem(CapturedOutput output) {
		String namespace = TestServices.uniqueNamespace();
		try (ConfigurableApplicationContext client = TestServices.startClient(namespace,
				"grpc.scale.services[0].name=billing", "grpc.scale.services[1].name=invoices")) {
			client.stop();
			client.start();
			assertThat(client.getBean(LocalInstance.class).state()).isEqualTo(LocalInstance.State.STARTED);
		}
		String warning = "grpc.scale.services lists [billing, invoices] but this application has no gRPC server";
		assertThat(output.getAll()).contains(warning);
		assertThat(output.getAll().split(java.util.regex.Pattern.quote(warning), -1)).hasSize(2);
	}

	private static int port(ConfigurableApplicationContext context) {
		return Integer.parseInt(context.getEnvironment().getProperty("local.grpc.server.port"));
	}

	private static ServingStatus health(int port) {
		ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
		try {
			return HealthGrpc.newBlockingStub(channel)
				.withDeadlineAfter(Duration.ofSeconds(5))
				.check(HealthCheckRequest.getDefaultInstance())
				.getStatus();
		}
		finally {
			channel.shutdownNow();
		}
	}

}
