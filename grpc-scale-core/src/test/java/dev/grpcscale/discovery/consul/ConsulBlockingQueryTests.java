package dev.grpcscale.discovery.consul;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The blocking queries of {@link ConsulServiceRegistry} on {@code /v1/health/service/<name>}: the index handling
 * Consul documents (first full read, block on the returned index, reset when it goes backwards, raise 0 to 1), against {@link FakeConsulAgent}
 * (see {@link ConsulRegistryFakeAgentFixture}).
 */
class ConsulBlockingQueryTests extends ConsulRegistryFakeAgentFixture {

	@Test
	void firstReadIsAFullReadThenQueriesBlockOnTheReturnedIndex() {
		this.agent.setHealth("svc", 7, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().datacenter("dc2").build()) {
			assertThat(consul.getInstances("svc")).extracting(ServiceInstance::instanceId).containsExactly("i-1");

			await().atMost(Duration.ofSeconds(5)).until(() -> healthIndexes("svc").size() >= 2);
			List<FakeConsulAgent.Request> queries = this.agent.requests("GET", "/v1/health/service/svc");
			assertThat(queries.get(0).query()).containsEntry("index", "0")
				.containsEntry("passing", "true")
				.containsEntry("wait", "1s")
				.containsEntry("dc", "dc2");
			assertThat(queries.get(1).query()).containsEntry("index", "7");
		}
	}

	@Test
	void higherIndexUpdatesTheCacheAndTheListeners() {
		this.agent.setHealth("svc", 7, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);
			await().atMost(Duration.ofSeconds(5)).until(() -> healthIndexes("svc").contains("7"));

			this.agent.setHealth("svc", 8, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of()),
					entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));

			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
			assertThat(seen.get(0)).extracting(ServiceInstance::instanceId).containsExactly("i-1");
			assertThat(seen.get(1)).extracting(ServiceInstance::instanceId).containsExactly("i-1", "i-2");
			assertThat(consul.getInstances("svc")).isEqualTo(seen.get(1));
			assertThat(seen.get(1).get(0)).as("unchanged instance keeps its first-seen time")
				.isEqualTo(seen.get(0).get(0));
		}
	}

	@Test
	void sameIndexAfterTheWaitElapsedDoesNotNotifyTheListeners() {
		this.agent.setHealth("svc", 7, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().blockingQueryWait(Duration.ofMillis(100)).build()) {
			AtomicInteger calls = new AtomicInteger();
			consul.watch("svc", (instances) -> calls.incrementAndGet());

			// three blocking queries on index 7 that each came back unchanged after the wait
			await().atMost(Duration.ofSeconds(5))
				.until(() -> healthIndexes("svc").stream().filter("7"::equals).count() >= 4);
			assertThat(calls).hasValue(1);
		}
	}

	@Test
	void indexGoingBackwardsResetsToZeroAndReadsEverythingAgain() {
		this.agent.setHealth("svc", 10, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().blockingQueryWait(Duration.ofMillis(200)).build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);
			await().atMost(Duration.ofSeconds(5)).until(() -> healthIndexes("svc").contains("10"));

			// a snapshot restore on the servers: the index is lower than the one the client holds
			this.agent.setHealth("svc", 5, health(entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));

			await().atMost(Duration.ofSeconds(5)).until(() -> {
				List<String> indexes = healthIndexes("svc");
				int reset = indexes.lastIndexOf("0");
				return reset > 0 && indexes.subList(reset, indexes.size()).contains("5");
			});
			List<String> indexes = healthIndexes("svc");
			assertThat(indexes.subList(indexes.indexOf("10"), indexes.size())).containsSubsequence("10", "0", "5");
			assertThat(seen.get(seen.size() - 1)).extracting(ServiceInstance::instanceId).containsExactly("i-2");
		}
	}

	@Test
	void indexZeroIsRaisedToOneSoTheNextQueryBlocks() {
		this.agent.setHealth("svc", 0, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);

			await().atMost(Duration.ofSeconds(5)).until(() -> healthIndexes("svc").contains("1"));
			assertThat(healthIndexes("svc")).startsWith("0", "1");
			assertThat(seen).hasSize(1);
			assertThat(seen.get(0)).extracting(ServiceInstance::instanceId).containsExactly("i-1");

			this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of()),
					entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
			assertThat(seen.get(1)).extracting(ServiceInstance::instanceId).containsExactly("i-1", "i-2");
		}
	}

	private List<String> healthIndexes(String service) {
		return this.agent.requests("GET", "/v1/health/service/" + service)
			.stream()
			.map((request) -> request.query().get("index"))
			.toList();
	}

}
