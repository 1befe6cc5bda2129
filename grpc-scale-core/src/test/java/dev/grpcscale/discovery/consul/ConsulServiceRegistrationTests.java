package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * What {@link ConsulServiceRegistry} sends to register and deregister instances, what it refuses before sending,
 * and what {@link ConsulServiceRegistry#close()} deregisters and stops, against {@link FakeConsulAgent}
 * (see {@link ConsulRegistryFakeAgentFixture}).
 */
class ConsulServiceRegistrationTests extends ConsulRegistryFakeAgentFixture {

	@Test
	void registrationSendsServiceWithGrpcCheckAndDeregisterCriticalServiceAfter() throws IOException {
		try (ConsulServiceRegistry consul = consul().tags("grpc", "v1").build()) {
			consul.register(instance("product-service", "p-1", "10.0.0.5", 9090, Map.of("version", "1.2", "zone", "a")));

			List<FakeConsulAgent.Request> registrations = this.agent.requests("PUT", "/v1/agent/service/register");
			assertThat(registrations).hasSize(1);
			assertThat(registrations.get(0).header("Content-Type")).containsExactly("application/json");
			assertThat(this.mapper.readTree(registrations.get(0).body())).isEqualTo(this.mapper.readTree("""
					{"ID": "p-1", "Name": "product-service", "Address": "10.0.0.5", "Port": 9090,
					 "Tags": ["grpc", "v1"], "Meta": {"version": "1.2", "zone": "a"},
					 "Check": {"CheckID": "service:p-1", "Name": "gRPC health of 10.0.0.5:9090",
					           "GRPC": "10.0.0.5:9090", "GRPCUseTLS": false, "Interval": "10s",
					           "DeregisterCriticalServiceAfter": "1m"}}
					"""));
			assertThat(consul.status().details()).containsEntry("registeredInstances", 1);
		}
	}

	@Test
	void grpcCheckCarriesConfiguredIntervalTlsAndDeregistrationDelay() throws IOException {
		try (ConsulServiceRegistry consul = consul().grpcUseTls(true)
			.checkInterval(Duration.ofMillis(1500))
			.deregisterCriticalAfter(Duration.ofMinutes(5))
			.build()) {
			consul.register(instance("svc", "i-1", "::1", 9090, Map.of()));

			JsonNode check = this.mapper.readTree(this.agent.requests("PUT", "/v1/agent/service/register").get(0).body())
				.path("Check");
			assertThat(check.path("GRPC").asString()).isEqualTo("[::1]:9090");
			assertThat(check.path("GRPCUseTLS").asBoolean()).isTrue();
			assertThat(check.path("Interval").asString()).isEqualTo("1500ms");
			assertThat(check.path("DeregisterCriticalServiceAfter").asString()).isEqualTo("5m");
		}
	}

	@Test
	void registrationRefusedByTheAgentThrowsAndIsNotKept() {
		try (ConsulServiceRegistry consul = consul().build()) {
			this.agent.failWith(400);

			assertThatExceptionOfType(DiscoveryException.class)
				.isThrownBy(() -> consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of())))
				.withMessageContaining("refused the registration of 'svc/i-1'")
				.withMessageContaining("HTTP 400");
			this.agent.failWith(0);
			assertThat(consul.deregister("svc", "i-1")).isFalse();
			assertThat(consul.status().details()).containsEntry("registeredInstances", 0);
		}
	}

	@Test
	void registrationRejectsMetadataThatConsulMetaCannotHold() {
		try (ConsulServiceRegistry consul = consul().build()) {
			assertThatIllegalArgumentException()
				.isThrownBy(() -> consul.register(instance("svc", "i-1", "h", 1, Map.of("user.name", "x"))))
				.withMessage("metadata key: 'user.name' (expected: 1 to 128 ASCII letters, digits, '_' or '-',"
						+ " not starting with 'consul-', as Consul Meta requires)");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> consul.register(instance("svc", "i-1", "h", 1, Map.of("consul-zone", "x"))))
				.withMessageStartingWith("metadata key: 'consul-zone' (expected:");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> consul.register(instance("svc", "i-1", "h", 1, Map.of("k", "v".repeat(513)))))
				.withMessage("metadata value of 'k': 513 bytes (expected: at most 512 for Consul Meta)");
			Map<String, String> tooMany = new LinkedHashMap<>();
			for (int i = 0; i < 65; i++) {
				tooMany.put("k" + i, "v");
			}
			assertThatIllegalArgumentException()
				.isThrownBy(() -> consul.register(instance("svc", "i-1", "h", 1, tooMany)))
				.withMessage("metadata: 65 entries (expected: at most 64 for Consul Meta)");
			assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).isEmpty();
		}
	}

	@Test
	void sameInstanceIdForAnotherServiceIsRejected() {
		try (ConsulServiceRegistry consul = consul().build()) {
			consul.register(instance("svc-a", "i-1", "10.0.0.5", 9090, Map.of()));

			assertThatIllegalArgumentException()
				.isThrownBy(() -> consul.register(instance("svc-b", "i-1", "10.0.0.5", 9091, Map.of())))
				.withMessage("instanceId: 'i-1' (expected: unique per Consul agent; already registered for service 'svc-a')");
		}
	}

	@Test
	void deregisterOfAnInstanceThisRegistryDidNotRegisterSendsNothing() {
		try (ConsulServiceRegistry consul = consul().build()) {
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));

			assertThat(consul.deregister("svc", "other")).isFalse();
			assertThat(consul.deregister("other-svc", "i-1")).isFalse();
			assertThat(this.agent.requests("PUT", "/v1/agent/service/deregister/")).isEmpty();
		}
	}

	@Test
	void closeDeregistersOwnedInstancesAndStopsTheThreadsItStarted() {
		ConsulServiceRegistry consul = consul().build();
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
		consul.register(instance("svc", "i-2", "10.0.0.6", 9090, Map.of()));
		assertThat(consul.getInstances("svc")).hasSize(1);
		assertThat(consulThreads()).anyMatch((name) -> name.startsWith("grpc-scale-consul-http-"))
			.anyMatch((name) -> name.startsWith("grpc-scale-consul-registrar-"));

		consul.close();
		consul.close();

		assertThat(this.agent.requests("PUT", "/v1/agent/service/deregister/")).extracting(FakeConsulAgent.Request::path)
			.containsExactlyInAnyOrder("/v1/agent/service/deregister/i-1", "/v1/agent/service/deregister/i-2");
		await().atMost(Duration.ofSeconds(5)).until(() -> consulThreads().isEmpty());
	}

	@Test
	void readsAfterCloseAreEmptyAndNewWatchesAreRefused() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		ConsulServiceRegistry consul = consul().build();
		assertThat(consul.getInstances("svc")).hasSize(1);

		consul.close();

		assertThat(consul.getInstances("svc")).isEmpty();
		assertThat(consul.getServiceNames()).isEmpty();
		org.assertj.core.api.Assertions.assertThatIllegalStateException()
			.isThrownBy(() -> consul.watch("svc", (instances) -> {
			}))
			.withMessage("ConsulServiceRegistry is closed");
	}

	private static List<String> consulThreads() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter(Thread::isAlive)
			.map(Thread::getName)
			.filter((name) -> name.startsWith("grpc-scale-consul-"))
			.toList();
	}

}
