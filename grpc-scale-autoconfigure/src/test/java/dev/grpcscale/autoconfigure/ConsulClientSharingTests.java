package dev.grpcscale.autoconfigure;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.cluster.GrpcScaleClusterAutoConfiguration;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.cluster.consul.ConsulLeaderElection;
import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.discovery.consul.ConsulServiceRegistry;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One {@link ConsulClient} per application, shared by discovery's registry and the cluster's election, against
 * a {@link FakeConsulAgent}.
 */
class ConsulClientSharingTests {

	private FakeConsulAgent agent;

	private ApplicationContextRunner runner;

	@BeforeEach
	void startAgent() throws Exception {
		this.agent = new FakeConsulAgent();
		this.runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
					GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class))
			.withPropertyValues("spring.application.name=orders", "grpc.scale.service-discovery.provider=consul",
					"grpc.scale.service-discovery.consul.host=127.0.0.1",
					"grpc.scale.service-discovery.consul.port=" + this.agent.port(),
					"grpc.scale.service-discovery.consul.check-type=ttl", "grpc.scale.cluster.provider=consul",
					"grpc.scale.cluster.heartbeat-interval=200ms", "grpc.scale.cluster.election-timeout=1s");
	}

	@AfterEach
	void stopAgent() {
		this.agent.close();
	}

	@Test
	void discoveryAndClusterOnConsulUseOneClientThatClosesAfterBoth() {
		AtomicReference<ConsulClient> shared = new AtomicReference<>();
		this.runner.run((context) -> {
			assertThat(context).hasSingleBean(ConsulClient.class)
				.hasSingleBean(ConsulServiceRegistry.class)
				.hasSingleBean(ConsulLeaderElection.class);
			shared.set(context.getBean(ConsulClient.class));
			// the registry and the election depend on the client: the context destroys them first
			assertThat(context.getBeanFactory().getDependentBeans("grpcScaleConsulClient"))
				.contains("consulServiceRegistry", "consulLeaderElection");
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			manager.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090));
			await().atMost(Duration.ofSeconds(10)).until(manager::isLeader);
			assertThat(this.agent.sessionIds()).hasSize(1);
			assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).hasSize(1);
		});
		// deregistered and resigned through the client before it closed
		assertThat(this.agent.requests("PUT", "/v1/agent/service/deregister/")).hasSize(1);
		assertThat(this.agent.sessionIds()).isEmpty();
		assertThat(shared.get().isClosed()).isTrue();
	}

	@Test
	void clusterOnAnotherAgentAddressGetsAClientOfItsOwn() {
		this.runner.withPropertyValues("grpc.scale.cluster.consul.host=localhost").run((context) -> {
			assertThat(context).hasSingleBean(ConsulClient.class);
			assertThat(context.getBeanFactory().getDependentBeans("grpcScaleConsulClient"))
				.containsExactly("consulServiceRegistry");
			assertThat(context.getBean(ConsulLeaderElection.class).toString())
				.contains("agent=http://localhost:" + this.agent.port() + "/");
			assertThat(context.getBean(ConsulServiceRegistry.class).toString())
				.contains("agent=http://127.0.0.1:" + this.agent.port() + "/");
		});
	}

	@Test
	void clusterAloneOnConsulBuildsOneClientOfItsOwn() {
		this.runner
			.withPropertyValues("grpc.scale.service-discovery.provider=memory",
					"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace())
			.run((context) -> {
				assertThat(context).doesNotHaveBean(ConsulClient.class).hasSingleBean(ConsulLeaderElection.class);
				await().atMost(Duration.ofSeconds(10)).until(context.getBean(EnhancedServiceManager.class)::isLeader);
			});
	}

	@Test
	void aUserClientIsUsedByRegistryAndElectionAndNotClosed() {
		try (ConsulClient own = ConsulClient
			.create(ConsulConnection.builder().host("127.0.0.1").port(this.agent.port()).build())) {
			this.runner
				.withBean("myConsulClient", ConsulClient.class, () -> own,
						(definition) -> definition.setDestroyMethodName(""))
				.run((context) -> {
					assertThat(context).hasSingleBean(ConsulClient.class).doesNotHaveBean("grpcScaleConsulClient");
					assertThat(context.getBeanFactory().getDependentBeans("myConsulClient"))
						.contains("consulServiceRegistry", "consulLeaderElection");
					await().atMost(Duration.ofSeconds(10))
						.until(context.getBean(EnhancedServiceManager.class)::isLeader);
				});
			assertThat(own.isClosed()).isFalse();
			own.agent().ping();
		}
	}

}
