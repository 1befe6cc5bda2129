package dev.grpcscale.discovery.consul;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.testcontainers.consul.ConsulContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link ConsulServiceRegistry} against a real Consul agent (dev mode) in a container. Skipped where no
 * Docker engine is available; the protocol details are covered by the tests on
 * {@link ConsulRegistryFakeAgentFixture}.
 */
@Testcontainers(disabledWithoutDocker = true)
class ConsulServiceRegistryContainerTests {

	private static final int CONSUL_HTTP_PORT = 8500;

	@Container
	static final ConsulContainer consul = new ConsulContainer("hashicorp/consul:1.20");

	@Test
	void registeredInstanceIsDiscoveredWatchedAndGoneAfterDeregistration() {
		try (ConsulServiceRegistry registry = registry()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			registry.watch("orders", seen::add);

			registry.register(instance("orders", "orders-1", 9090));

			await().atMost(Duration.ofSeconds(30)).until(() -> !registry.getInstances("orders").isEmpty());
			ServiceInstance found = registry.getInstances("orders").get(0);
			assertThat(found.instanceId()).isEqualTo("orders-1");
			assertThat(found.host()).isEqualTo("10.0.0.5");
			assertThat(found.port()).isEqualTo(9090);
			assertThat(found.metadata()).containsEntry("zone", "a");
			await().atMost(Duration.ofSeconds(30))
				.until(() -> !seen.isEmpty() && seen.get(seen.size() - 1).contains(found));

			assertThat(registry.deregister("orders", "orders-1")).isTrue();

			await().atMost(Duration.ofSeconds(30)).until(() -> seen.get(seen.size() - 1).isEmpty());
			assertThat(registry.getInstances("orders")).isEmpty();
			assertThat(registry.status().reachable()).isTrue();
		}
	}

	@Test
	void closingARegistryRemovesItsInstancesForOtherClients() {
		try (ConsulServiceRegistry reader = registry()) {
			ConsulServiceRegistry writer = registry();
			writer.register(instance("billing", "billing-1", 9191));
			await().atMost(Duration.ofSeconds(30)).until(() -> reader.getInstances("billing").size() == 1);

			writer.close();

			await().atMost(Duration.ofSeconds(30)).until(() -> reader.getInstances("billing").isEmpty());
		}
	}

	private static ConsulServiceRegistry registry() {
		// a TTL check: the agent in the container cannot reach a gRPC port of the test JVM
		return ConsulServiceRegistry.builder()
			.connection(ConsulConnection.of(consul.getHost(), consul.getMappedPort(CONSUL_HTTP_PORT)))
			.checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofSeconds(3))
			.blockingQueryWait(Duration.ofSeconds(5))
			.build();
	}

	private static ServiceInstance instance(String service, String id, int port) {
		return new ServiceInstance(service, id, "10.0.0.5", port, Map.of("zone", "a"), InstanceStatus.UP,
				Instant.now());
	}

}
