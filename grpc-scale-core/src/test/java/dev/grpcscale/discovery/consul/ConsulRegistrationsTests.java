package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import tools.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Direct tests of {@link ConsulRegistrations}, the registry's registration side, against
 * {@link FakeConsulAgent}: the rule that a keep-alive round's re-registration never brings back an instance
 * that was deregistered or replaced while the round ran, which the registry's own tests cannot time.
 */
class ConsulRegistrationsTests {

	private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

	private final AtomicBoolean closed = new AtomicBoolean();

	private FakeConsulAgent agent;

	private ConsulClient client;

	private ConsulRegistrations registrations;

	@BeforeEach
	void startAgent() throws IOException {
		this.agent = new FakeConsulAgent();
		this.client = ConsulClient.create(ConsulConnection.builder()
			.host("127.0.0.1")
			.port(this.agent.port())
			.requestTimeout(Duration.ofSeconds(2))
			.build());
		ConsulAgentRequests requests = new ConsulAgentRequests(this.client,
				new AgentReachability(URI.create("http://127.0.0.1:" + this.agent.port())));
		ConsulServiceDefinition definition = new ConsulServiceDefinition(new ObjectMapper(), ConsulCheckType.TTL,
				false, Duration.ofSeconds(10), Duration.ofMinutes(1), List.of());
		this.registrations = new ConsulRegistrations(requests, definition, this.closed);
	}

	@AfterEach
	void stopAgent() {
		this.client.close();
		this.agent.close();
	}

	@Test
	void instanceTheAgentForgotIsRegisteredAgainWithTheSameDefinition() {
		ServiceInstance instance = instance("10.0.0.5");
		this.registrations.register(instance);
		this.agent.forgetAgentState();

		assertThat(this.registrations.registerAgain(instance, "the agent does not know it")).isTrue();

		assertThat(this.agent.knowsService("i-1")).isTrue();
		assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).hasSize(2);
		assertThat(this.agent.registration("i-1").path("Address").asString()).isEqualTo("10.0.0.5");
	}

	@Test
	void instanceDeregisteredSinceTheRoundStartedIsNotRegisteredAgain() {
		ServiceInstance instance = instance("10.0.0.5");
		this.registrations.register(instance);
		assertThat(this.registrations.deregister("svc", "i-1")).isTrue();

		assertThat(this.registrations.registerAgain(instance, "its TTL check is unknown to the agent")).isFalse();

		assertThat(this.agent.knowsService("i-1")).isFalse();
		assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).hasSize(1);
	}

	@Test
	void instanceReplacedSinceTheRoundStartedIsNotOverwrittenWithTheOldDefinition() {
		ServiceInstance before = instance("10.0.0.5");
		this.registrations.register(before);
		ServiceInstance replacement = instance("10.0.0.6");
		this.registrations.register(replacement);

		assertThat(this.registrations.registerAgain(before, "the agent does not know it")).isFalse();

		assertThat(this.agent.registration("i-1").path("Address").asString()).isEqualTo("10.0.0.6");
		assertThat(this.registrations.instances()).containsExactly(replacement);
	}

	@Test
	void nothingIsRegisteredAgainOnceTheRegistryIsClosing() {
		ServiceInstance instance = instance("10.0.0.5");
		this.registrations.register(instance);
		this.agent.forgetAgentState();
		this.closed.set(true);

		assertThat(this.registrations.registerAgain(instance, "the agent does not know it")).isFalse();

		assertThat(this.agent.knowsService("i-1")).isFalse();
		this.registrations.deregisterAll();
		assertThat(this.registrations.isEmpty()).isTrue();
		assertThat(this.agent.requests("PUT", "/v1/agent/service/deregister/i-1")).hasSize(1);
	}

	private static ServiceInstance instance(String host) {
		return new ServiceInstance("svc", "i-1", host, 9090, Map.of(), InstanceStatus.UP, NOW);
	}

}
