package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link ConsulServiceRegistry} over HTTPS to {@link FakeConsulAgent}, with a self-signed certificate the
 * JDK's {@code keytool} makes for {@code 127.0.0.1}.
 */
class ConsulServiceRegistryTlsTests {

	private static final char[] PASSWORD = "changeit".toCharArray();

	@TempDir
	Path directory;

	private KeyStore serverKeys;

	private FakeConsulAgent agent;

	@BeforeEach
	void startHttpsAgent() throws Exception {
		Path file = this.directory.resolve("agent.p12");
		Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
				"-genkeypair", "-alias", "agent", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
				"CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore",
				file.toString(), "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
			.redirectErrorStream(true)
			.start();
		String output = new String(keytool.getInputStream().readAllBytes());
		assertThat(keytool.waitFor()).as(output).isZero();
		this.serverKeys = KeyStore.getInstance("PKCS12");
		try (InputStream in = Files.newInputStream(file)) {
			this.serverKeys.load(in, PASSWORD);
		}
		KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
		keys.init(this.serverKeys, PASSWORD);
		SSLContext serverContext = SSLContext.getInstance("TLS");
		serverContext.init(keys.getKeyManagers(), null, null);
		this.agent = new FakeConsulAgent(serverContext);
	}

	@AfterEach
	void stopAgent() {
		this.agent.close();
	}

	@Test
	void trustStoreWithTheAgentCertificateGivesHttpsRegistrationAndDiscovery() throws Exception {
		KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
		trust.load(null, null);
		trust.setCertificateEntry("agent", this.serverKeys.getCertificate("agent"));
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
