package dev.grpcscale;

import java.time.Duration;
import java.util.List;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.protobuf.services.HealthStatusManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.cluster.InMemoryLeaderElection;
import dev.grpcscale.cluster.InMemoryLeaderGroup;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/** {@link LocalInstance}: one owner of health, registration and cluster membership, over real gRPC health. */
class LocalInstanceTests {

	private final InMemoryServiceRegistry registry = InMemoryServiceRegistry.create();

	private final HealthStatusManager health = new HealthStatusManager();

	private final LeaderElection election = InMemoryLeaderElection.create(InMemoryLeaderGroup.create(),
			LeaderElectionSettings.builder()
				.nodeId("node-1")
				.heartbeatInterval(Duration.ofMillis(50))
				.electionTimeout(Duration.ofMillis(500))
				.build());

	private final LocalInstance instance = LocalInstance.builder()
		.serviceRegistry(this.registry)
		.health(this.health, () -> List.of("demo.Echo"))
		.leaderElection(this.election)
		.build();

	private final ServiceDefinition echo = ServiceDefinition.builder("echo").instanceId("e-1").port(9090).build();

	private Server server;

	private ManagedChannel channel;

	@BeforeEach
	void startServer() throws Exception {
		String name = InProcessServerBuilder.generateName();
		this.server = InProcessServerBuilder.forName(name)
			.directExecutor()
			.addService(this.health.getHealthService())
			.build()
			.start();
		this.channel = InProcessChannelBuilder.forName(name).directExecutor().build();
		this.health.setStatus("demo.Echo", ServingStatus.SERVING);
	}

	@AfterEach
	void close() {
		this.channel.shutdownNow();
		this.server.shutdownNow();
		this.election.close();
		this.registry.close();
	}

	@Test
	void stopThenStartComesBackServingRegisteredAndCampaigning() {
		this.instance.start(List.of(this.echo));
		await().atMost(Duration.ofSeconds(5)).until(this.election::isLeader);
		assertThat(this.registry.getInstances("echo")).extracting(ServiceInstance::instanceId).containsExactly("e-1");

		this.instance.stop(false);
		assertThat(this.instance.state()).isEqualTo(LocalInstance.State.STOPPED);
		assertThat(status("")).isEqualTo(ServingStatus.NOT_SERVING);
		assertThat(status("demo.Echo")).isEqualTo(ServingStatus.NOT_SERVING);
		assertThat(this.registry.getInstances("echo")).isEmpty();
		assertThat(this.election.isLeader()).isFalse();

		this.instance.start(List.of());
		assertThat(this.instance.state()).isEqualTo(LocalInstance.State.STARTED);
		assertThat(status("")).isEqualTo(ServingStatus.SERVING);
		assertThat(status("demo.Echo")).isEqualTo(ServingStatus.SERVING);
		assertThat(this.registry.getInstances("echo")).extracting(ServiceInstance::instanceId).containsExactly("e-1");
		await().atMost(Duration.ofSeconds(5)).until(this.election::isLeader);
	}

	@Test
	void registrationWhileStoppedIsWrittenAtTheNextStart() {
		this.instance.start(List.of());
		this.instance.stop(false);
		this.instance.register(this.echo);
		assertThat(this.registry.getInstances("echo")).isEmpty();

		this.instance.start(List.of());
		assertThat(this.registry.getInstances("echo")).extracting(ServiceInstance::instanceId).containsExactly("e-1");
	}

	@Test
	void restartOnAnotherPortReplacesTheServersRegistrationAndKeepsOnesMadeByHand() {
		ServiceDefinition byHand = ServiceDefinition.builder("side").instanceId("s-1").port(7070).build();
		this.instance.start(List.of(this.echo));
		this.instance.register(byHand);
		this.instance.stop(false);

		ServiceDefinition moved = ServiceDefinition.builder("echo").instanceId("e-2").port(9191).build();
		this.instance.start(List.of(moved));
		assertThat(this.registry.getInstances("echo")).extracting(ServiceInstance::port).containsExactly(9191);
		assertThat(this.registry.getInstances("side")).extracting(ServiceInstance::instanceId).containsExactly("s-1");
	}

	@Test
	void startingTwiceWithTheSameDefinitionRegistersItOnce() {
		this.instance.start(List.of(this.echo));
		this.instance.start(List.of(this.echo));
		assertThat(this.instance.registered()).hasSize(1);
		assertThat(this.registry.getInstances("echo")).hasSize(1);
	}

	@Test
	void lastStopKeepsHealthNotServingForGoodAndRefusesRegistrations() {
		this.instance.start(List.of(this.echo));
		this.instance.stop(true);
		this.instance.start(List.of());
		this.health.setStatus("", ServingStatus.SERVING);

		assertThat(this.instance.state()).isEqualTo(LocalInstance.State.CLOSED);
		assertThat(status("")).isEqualTo(ServingStatus.NOT_SERVING);
		assertThat(this.registry.getInstances("echo")).isEmpty();
		assertThatIllegalStateException().isThrownBy(() -> this.instance.register(this.echo))
			.withMessageContaining("graceful shutdown has started");
	}

	@Test
	void lastStopOfAStoppedInstanceStillKeepsHealthNotServing() {
		this.instance.start(List.of());
		this.instance.stop(false);
		this.instance.stop(true);
		this.health.setStatus("", ServingStatus.SERVING);
		assertThat(status("")).isEqualTo(ServingStatus.NOT_SERVING);
	}

	private ServingStatus status(String service) {
		return HealthGrpc.newBlockingStub(this.channel)
			.check(HealthCheckRequest.newBuilder().setService(service).build())
			.getStatus();
	}

}
