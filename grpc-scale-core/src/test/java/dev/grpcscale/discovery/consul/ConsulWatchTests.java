package dev.grpcscale.discovery.consul;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import ch.qos.logback.classic.Level;
import tools.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * The watches of {@link ConsulServiceRegistry}: their listeners (a throwing one, a cancelled one, a late one)
 * and the reclaim of the watches of services nobody watches or reads, against {@link FakeConsulAgent}
 * (see {@link ConsulRegistryFakeAgentFixture}).
 */
class ConsulWatchTests extends ConsulRegistryFakeAgentFixture {

	@Test
	void throwingListenerIsLoggedAndKeepsReceivingChanges() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", (instances) -> {
				seen.add(instances);
				throw new IllegalStateException("listener bug");
			});
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);

			this.agent.setHealth("svc", 4, "[]");

			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
			assertThat(messages(Level.WARN)).filteredOn((message) -> message.contains("listener for 'svc' failed"))
				.hasSize(2);
		}
	}

	@Test
	void cancelledWatchGetsNoMoreLists() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> cancelled = new CopyOnWriteArrayList<>();
			List<List<ServiceInstance>> kept = new CopyOnWriteArrayList<>();
			Subscription subscription = consul.watch("svc", cancelled::add);
			consul.watch("svc", kept::add);
			await().atMost(Duration.ofSeconds(5)).until(() -> cancelled.size() == 1 && kept.size() == 1);

			subscription.cancel();
			this.agent.setHealth("svc", 4, "[]");

			await().atMost(Duration.ofSeconds(5)).until(() -> kept.size() == 2);
			assertThat(cancelled).hasSize(1);
		}
	}

	@Test
	void lateWatcherGetsTheCachedListAtOnceOnTheCallingThread() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			assertThat(consul.getInstances("svc")).hasSize(1);
			List<String> threads = new ArrayList<>();

			consul.watch("svc", (instances) -> threads.add(Thread.currentThread().getName()));

			assertThat(threads).containsExactly(Thread.currentThread().getName());
		}
	}

	@Test
	void watchesOfServicesNobodyWatchesOrReadsStopAfterTheIdleTimeoutAndRestartOnTheNextRead() {
		for (int i = 0; i < 10; i++) {
			this.agent.setHealth("svc-" + i, 3, health(entryOf("svc-" + i, "i-" + i)));
		}
		try (ConsulServiceRegistry consul = consul().watchIdleTimeout(Duration.ofMillis(600)).build()) {
			for (int i = 0; i < 10; i++) {
				assertThat(consul.getInstances("svc-" + i)).extracting(ServiceInstance::instanceId)
					.containsExactly("i-" + i);
			}
			Subscription watched = consul.watch("svc-0", (instances) -> {
			});
			assertThat(consul.status().details()).containsEntry("watchedServices", 10);

			await().atMost(Duration.ofSeconds(10)).until(() -> watchedServices(consul) == 1);
			assertThat(consul.getServiceNames()).containsExactly("svc-0");
			// the idle services' loops stopped; the watched one goes on (a query per second's blocking wait)
			int idleQueries = this.agent.requests("GET", "/v1/health/service/svc-5").size();
			int watchedQueries = this.agent.requests("GET", "/v1/health/service/svc-0").size();
			await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(5))
				.until(() -> this.agent.requests("GET", "/v1/health/service/svc-5").size() == idleQueries);
			assertThat(this.agent.requests("GET", "/v1/health/service/svc-0")).hasSizeGreaterThan(watchedQueries);

			// the next read starts the watch again and waits for its answer, as a first read does
			this.agent.setHealth("svc-5", 4, health(entryOf("svc-5", "i-5b")));
			assertThat(consul.getInstances("svc-5")).extracting(ServiceInstance::instanceId).containsExactly("i-5b");
			// its first query was answered; the loop's next (blocking) query may already be on its way
			assertThat(this.agent.requests("GET", "/v1/health/service/svc-5")).hasSizeGreaterThan(idleQueries);
			assertThat(consul.status().details()).containsEntry("watchedServices", 2);

			// a watched service is reclaimed the idle timeout after its last watcher left
			watched.cancel();
			await().atMost(Duration.ofSeconds(10)).until(() -> watchedServices(consul) == 0);
		}
	}

	@Test
	void watchIdleTimeoutMustBePositive() {
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulServiceRegistry.builder().watchIdleTimeout(Duration.ZERO))
			.withMessage("watchIdleTimeout: PT0S (expected: > 0)");
	}

	private static int watchedServices(ConsulServiceRegistry consul) {
		return (Integer) consul.status().details().get("watchedServices");
	}

	private ObjectNode entryOf(String service, String id) {
		ObjectNode entry = entry(id, "10.0.0.5", 9090, "10.9.9.9", Map.of());
		((ObjectNode) entry.get("Service")).put("Service", service);
		return entry;
	}

}
