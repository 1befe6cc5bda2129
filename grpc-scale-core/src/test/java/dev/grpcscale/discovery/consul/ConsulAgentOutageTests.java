package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link ConsulServiceRegistry} while the agent fails or is down: the cache keeps serving, the status reports
 * it unreachable, and the watches resume when it is back, against {@link FakeConsulAgent}
 * (see {@link ConsulRegistryFakeAgentFixture}).
 */
class ConsulAgentOutageTests extends ConsulRegistryFakeAgentFixture {

	@Test
	void serverErrorsKeepTheCacheAndReportUnreachableUntilTheAgentRecovers() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);
			assertThat(consul.getInstances("svc")).hasSize(1);
			assertThat(consul.status().reachable()).isTrue();

			this.agent.failWith(500);

			await().atMost(Duration.ofSeconds(5)).until(() -> !consul.status().reachable());
			assertThat(consul.getInstances("svc")).extracting(ServiceInstance::instanceId).containsExactly("i-1");
			assertThat(consul.status().details()).hasEntrySatisfying("lastError",
					(error) -> assertThat(error.toString()).contains("HTTP 500"));
			assertThat(seen).hasSize(1);

			this.agent.setHealth("svc", 4, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of()),
					entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));
			this.agent.failWith(0);

			await().atMost(Duration.ofSeconds(5)).until(() -> consul.getInstances("svc").size() == 2);
			assertThat(consul.status().reachable()).isTrue();
			assertThat(consul.status().details()).doesNotContainKey("lastError");
			assertThat(seen).hasSize(2);
			assertThat(messages(Level.WARN)).filteredOn((message) -> message.contains("unreachable")).hasSize(1);
			assertThat(messages(Level.INFO)).anyMatch((message) -> message.contains("reachable again"));
		}
	}

	@Test
	void refusedConnectionsKeepTheCacheAndTheWatchResumesWhenTheAgentIsBack() throws IOException {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);

			this.agent.stop();

			await().atMost(Duration.ofSeconds(5)).until(() -> !consul.status().reachable());
			assertThat(consul.getInstances("svc")).extracting(ServiceInstance::instanceId).containsExactly("i-1");

			this.agent.setHealth("svc", 9, health(entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));
			this.agent.restart();

			await().atMost(Duration.ofSeconds(5))
				.until(() -> consul.getInstances("svc").stream().map(ServiceInstance::instanceId).toList(),
						(ids) -> ids.equals(List.of("i-2")));
			assertThat(consul.status().reachable()).isTrue();
			assertThat(seen).hasSize(2);
		}
	}

	@Test
	void firstReadWhileTheAgentIsDownGivesAnEmptyListAndListenersGetTheInstancesLater() throws IOException {
		this.agent.stop();
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);
			assertThat(consul.getInstances("svc")).isEmpty();
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
			assertThat(seen.get(0)).isEmpty();
			assertThat(consul.status().reachable()).isFalse();

			this.agent.setHealth("svc", 2, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
			this.agent.restart();

			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
			assertThat(seen.get(1)).extracting(ServiceInstance::instanceId).containsExactly("i-1");
		}
	}

}
