package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.Test;

import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How {@link ConsulServiceRegistry} keeps its registrations alive: TTL passes every third of the TTL, instances
 * the agent forgot registered again, and no pass for a deregistered instance, against {@link FakeConsulAgent}
 * (see {@link ConsulRegistryFakeAgentFixture}).
 */
class ConsulKeepAliveTests extends ConsulRegistryFakeAgentFixture {

	@Test
	void ttlCheckIsRegisteredThenPassedEveryThirdOfTheTtl() throws IOException {
		try (ConsulServiceRegistry consul = consul().checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(300))
			.deregisterCriticalAfter(Duration.ofSeconds(90))
			.build()) {
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));

			assertThat(this.mapper.readTree(this.agent.requests("PUT", "/v1/agent/service/register").get(0).body())
				.path("Check")).isEqualTo(this.mapper.readTree("""
						{"CheckID": "service:i-1", "Name": "TTL of svc/i-1", "TTL": "300ms",
						 "DeregisterCriticalServiceAfter": "90s"}
						"""));
			// one pass right after registering, then one every 100 ms
			await().atMost(Duration.ofSeconds(5))
				.until(() -> this.agent.requests("PUT", "/v1/agent/check/pass/service:i-1").size() >= 4);
		}
	}

	@Test
	void ttlPassAnsweredUnknownCheckRegistersTheInstanceAgain() {
		try (ConsulServiceRegistry consul = consul().checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(300))
			.build()) {
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
			this.agent.forgetAgentState();

			await().atMost(Duration.ofSeconds(5)).until(() -> this.agent.knowsService("i-1"));
			assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).hasSize(2);
			int passesAfterRestore = this.agent.requests("PUT", "/v1/agent/check/pass/").size();
			await().atMost(Duration.ofSeconds(5))
				.until(() -> this.agent.requests("PUT", "/v1/agent/check/pass/").size() >= passesAfterRestore + 2);
			assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).hasSize(2);
			assertThat(messages(Level.INFO)).anyMatch((message) -> message.contains("'svc/i-1'")
					&& message.contains("TTL check is unknown to the agent"));
		}
	}

	@Test
	void grpcCheckedInstanceTheAgentForgotIsRegisteredAgain() {
		try (ConsulServiceRegistry consul = consul().checkInterval(Duration.ofMillis(100)).build()) {
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
			await().atMost(Duration.ofSeconds(5))
				.until(() -> !this.agent.requests("GET", "/v1/agent/service/i-1").isEmpty());
			this.agent.forgetAgentState();

			await().atMost(Duration.ofSeconds(5)).until(() -> this.agent.knowsService("i-1"));
			assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).hasSize(2);
		}
	}

	@Test
	void instancesAreRegisteredAgainWhenTheAgentComesBackWithoutThem() throws IOException {
		try (ConsulServiceRegistry consul = consul().checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(300))
			.build()) {
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
			this.agent.stop();
			await().atMost(Duration.ofSeconds(5)).until(() -> !consul.status().reachable());

			this.agent.forgetAgentState();
			this.agent.restart();

			await().atMost(Duration.ofSeconds(5)).until(() -> this.agent.knowsService("i-1"));
			assertThat(consul.status().reachable()).isTrue();
			assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).hasSize(2);
		}
	}

	@Test
	void deregisterRemovesTheServiceFromTheAgentAndStopsPassingItsCheck() {
		try (ConsulServiceRegistry consul = consul().checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(150))
			.build()) {
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
			await().atMost(Duration.ofSeconds(5))
				.until(() -> this.agent.requests("PUT", "/v1/agent/check/pass/").size() >= 2);

			assertThat(consul.deregister("svc", "i-1")).isTrue();

			assertThat(this.agent.requests("PUT", "/v1/agent/service/deregister/i-1")).hasSize(1);
			assertThat(this.agent.knowsService("i-1")).isFalse();
			// with nothing left to keep alive, each round only pings the agent; wait for two rounds
			int deregisteredAt = indexOf(this.agent.requests(), "PUT", "/v1/agent/service/deregister/i-1");
			await().atMost(Duration.ofSeconds(5))
				.until(() -> this.agent.requests()
					.subList(deregisteredAt, this.agent.requests().size())
					.stream()
					.filter((request) -> request.path().equals("/v1/status/leader"))
					.count() >= 2);
			// a pass of the round in flight when deregister ran may still reach the agent after it (harmless:
			// the agent answers "unknown check" and nothing is re-registered); from the first round that
			// found nothing to keep alive on, none may
			List<FakeConsulAgent.Request> requests = this.agent.requests();
			List<FakeConsulAgent.Request> afterDeregistration = requests.subList(deregisteredAt + 1, requests.size());
			int firstPing = deregisteredAt + 1 + indexOf(afterDeregistration, "GET", "/v1/status/leader");
			assertThat(requests.subList(firstPing, requests.size()))
				.noneMatch((request) -> request.path().startsWith("/v1/agent/check/pass/"))
				.noneMatch((request) -> request.path().equals("/v1/agent/service/register"));
			assertThat(this.agent.knowsService("i-1")).isFalse();
		}
	}

	private static int indexOf(List<FakeConsulAgent.Request> requests, String method, String path) {
		for (int i = 0; i < requests.size(); i++) {
			if (requests.get(i).method().equals(method) && requests.get(i).path().equals(path)) {
				return i;
			}
		}
		throw new AssertionError(method + " " + path + " not sent");
	}

}
