package dev.grpcscale.discovery.consul;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import ch.qos.logback.classic.Level;
import tools.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How {@link ConsulServiceRegistry} reads the agent's health entries: addresses and Meta, malformed entries
 * skipped with one warning each, an unreadable body that keeps the cache, against {@link FakeConsulAgent}
 * (see {@link ConsulRegistryFakeAgentFixture}).
 */
class ConsulHealthParsingTests extends ConsulRegistryFakeAgentFixture {

	@Test
	void serviceAddressFallsBackToNodeAddressAndMetaBecomesMetadata() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "", 9090, "10.9.9.9", Map.of("zone", "a")),
				entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<ServiceInstance> instances = consul.getInstances("svc");

			assertThat(instances).extracting(ServiceInstance::instanceId, ServiceInstance::host, ServiceInstance::port)
				.containsExactly(org.assertj.core.groups.Tuple.tuple("i-1", "10.9.9.9", 9090),
						org.assertj.core.groups.Tuple.tuple("i-2", "10.0.0.6", 9091));
			assertThat(instances.get(0).metadata()).isEqualTo(Map.of("zone", "a"));
			assertThat(instances).allSatisfy((instance) -> {
				assertThat(instance.serviceName()).isEqualTo("svc");
				assertThat(instance.status()).isEqualTo(InstanceStatus.UP);
				assertThat(instance.registrationTime()).isEqualTo(NOW);
			});
			assertThat(consul.getAllInstances("svc")).isEqualTo(instances);
			assertThat(consul.getServiceNames()).containsExactly("svc");
		}
	}

	@Test
	void malformedEntriesAreSkippedWithOneWarningEachAndNeverBreakTheWatch() {
		ObjectNode badPort = entry("bad-port", "10.0.0.7", 0, "10.9.9.9", Map.of());
		ObjectNode textPort = entry("text-port", "10.0.0.8", 9090, "10.9.9.9", Map.of());
		((ObjectNode) textPort.path("Service")).put("Port", "9090");
		ObjectNode noId = entry("x", "10.0.0.9", 9090, "10.9.9.9", Map.of());
		((ObjectNode) noId.path("Service")).remove("ID");
		ObjectNode noAddress = entry("no-address", "", 9090, "", Map.of());
		ObjectNode good = entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of());
		this.agent.setHealth("svc", 3, health(badPort, textPort, noId, noAddress, good));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
			assertThat(seen.get(0)).extracting(ServiceInstance::instanceId).containsExactly("i-1");

			this.agent.setHealth("svc", 4, health(badPort, textPort, noId, noAddress, good,
					entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);

			assertThat(seen.get(1)).extracting(ServiceInstance::instanceId).containsExactly("i-1", "i-2");
			List<String> warnings = messages(Level.WARN);
			assertThat(warnings).filteredOn((message) -> message.startsWith("Skipping an entry")).hasSize(4);
			assertThat(warnings).anyMatch((message) -> message.contains("'bad-port'") && message.contains("port: 0"))
				.anyMatch((message) -> message.contains("'text-port'") && message.contains("Service.Port: \"9090\""))
				.anyMatch((message) -> message.contains("no Service.ID"))
				.anyMatch((message) -> message.contains("'no-address'")
						&& message.contains("neither Service.Address nor Node.Address"));
		}
	}

	@Test
	void unreadableBodyKeepsTheCacheAndTheWatchGoesOn() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			assertThat(consul.getInstances("svc")).hasSize(1);

			this.agent.setHealth("svc", 4, "{\"not\": \"an array\"}");
			await().atMost(Duration.ofSeconds(5))
				.until(() -> messages(Level.WARN).stream().anyMatch((message) -> message.contains("unreadable body")));
			assertThat(consul.getInstances("svc")).hasSize(1);

			this.agent.setHealth("svc", 5, "<html>502 Bad Gateway</html>");
			// a second refusal in a row is logged at DEBUG (the first one was the warning)
			await().atMost(Duration.ofSeconds(5))
				.until(() -> messages(Level.DEBUG).stream().anyMatch((message) -> message.contains("not JSON")));
			assertThat(consul.getInstances("svc")).hasSize(1);

			this.agent.setHealth("svc", 6, "[]");
			await().atMost(Duration.ofSeconds(5)).until(() -> consul.getInstances("svc").isEmpty());
		}
	}

}
