package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.consul.FakeConsulAgent;
import dev.grpcscale.test.tls.TestCertificates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link ConsulServiceRegistry} over HTTPS to {@link FakeConsulAgent}, with a certificate for
 * {@code 127.0.0.1} made for the run ({@link TestCertificates}).
 */
class ConsulServiceRegistryTlsTests {

	@TempDir
	Path directory;

	private TestCertificates certificates;

	private FakeConsulAgent agent;

	@BeforeEach
	void startHttpsAgent() throws Exception {
		this.certificates = TestCertificates.create(this.directory);
		this.agent = new FakeConsulAgent(this.certificates.issue("agent", "127.0.0.1").sslContext());
	}

	@AfterEach
	void stopAgent() {
		this.agent.close();
	}

	@Test
	void trustStoreWithTheAgentCertificateGivesHttpsRegistrationAndDiscovery() throws Exception {
		KeyStore trust = this.certificates.loadTrustStore();
		this.agent.setHealth("svc", 4, "[{\"Node\": {\"Address\": \"10.9.9.9\"}, "
				+ "\"Service\": {\"ID\": \"i-1\", \"Service\": \"svc\", \"Address\": \"10.0.0.5\", \"Port\": 9090}}]");
		try (ConsulServiceRegistry consul = builder(connection().trustStore(trust)).build()) {
			consul.register(instance());

			assertThat(consul.getInstances("svc")).extracting(ServiceInstance::instanceId).containsExactly("i-1");
			assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).hasSize(1);
			assertThat(consul.status().details()).containsEntry("agent", "https://127.0.0.1:" + this.agent.port() + "/");
		}
	}

	@Test
	void httpsWithoutTrustInTheAgentCertificateFailsTheRegistration() throws IOException {
		try (ConsulServiceRegistry consul = builder(connection().scheme("https")).build()) {
			assertThatExceptionOfType(DiscoveryException.class).isThrownBy(() -> consul.register(instance()))
				.withMessageContaining("Could not reach Consul agent at https://127.0.0.1:" + this.agent.port());
			assertThat(consul.getInstances("svc")).isEmpty();
			assertThat(consul.status().reachable()).isFalse();
			assertThat(this.agent.requests()).isEmpty();
		}
	}

	private ConsulConnection.Builder connection() {
		return ConsulConnection.builder().host("127.0.0.1").port(this.agent.port()).requestTimeout(Duration.ofSeconds(5));
	}

	private ConsulServiceRegistry.Builder builder(ConsulConnection.Builder connection) {
		return ConsulServiceRegistry.builder()
			.connection(connection.build())
			.blockingQueryWait(Duration.ofSeconds(1))
			.retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100));
	}

	private static ServiceInstance instance() {
		return new ServiceInstance("svc", "i-1", "10.0.0.5", 9090, Map.of(), InstanceStatus.UP, Instant.now());
	}

}
