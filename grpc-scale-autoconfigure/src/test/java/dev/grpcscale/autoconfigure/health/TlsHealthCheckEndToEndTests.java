package dev.grpcscale.autoconfigure.health;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.grpc.ManagedChannel;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.client.GrpcChannelFactory;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.health.InstanceHealth;
import dev.grpcscale.test.tls.TestCertificates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Fleets on TLS and mTLS through Boot's SSL bundles, over Netty with certificates made for the run: the
 * health probes use the calls' credentials, so healthy instances stay {@code UP} and in discovery.
 */
class TlsHealthCheckEndToEndTests {

	@TempDir
	static Path directory;

	private static TestCertificates certificates;

	private static TestCertificates.Identity server;

	private static TestCertificates.Identity client;

	private static TestCertificates.Identity hostOnly;

	private static TestCertificates.Identity internalName;

	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	@BeforeAll
	static void certificates() throws IOException {
		certificates = TestCertificates.create(directory);
		server = certificates.issue("server", "user-service", "localhost", "127.0.0.1");
		client = certificates.issue("client", "caller");
		hostOnly = certificates.issue("host-only", "localhost");
		internalName = certificates.issue("internal-name", "users.internal");
	}

	@AfterEach
	void close() {
		this.contexts.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void tlsFleetStaysUpAndListedWithProbesOverTheChannelsCredentials() {
		fleetStaysUp(server, false, List.of(), List.of());
	}

	@Test
	void mtlsFleetThatRequiresClientCertificatesStaysUpAndListed() {
		fleetStaysUp(server, true, List.of(), List.of());
	}

	@Test
	void certificatesIssuedForEachInstancesHostWorkWithTheHostAsAuthority() {
		fleetStaysUp(hostOnly, false, List.of("grpc.scale.services[0].host=localhost"),
				List.of("grpc.scale.service-discovery.authority.user-service=host"));
	}

	@Test
	void certificatesIssuedForAnotherNameWorkWithThatNameAsAuthorityAndFailWithoutIt() {
		String namespace = fleetStaysUp(internalName, false, List.of(),
				List.of("grpc.scale.service-discovery.authority.user-service=users.internal"));

		// the same fleet called with the default authority, the service name, which its certificate lacks
		ConfigurableApplicationContext caller = TestServices.startClient(namespace,
				clientProperties(false).toArray(String[]::new));
		this.contexts.add(caller);
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc
			.newBlockingStub(caller.getBean(GrpcChannelFactory.class).createChannel("users"));
		assertThatExceptionOfType(io.grpc.StatusRuntimeException.class)
			.isThrownBy(() -> stub.withDeadlineAfter(Duration.ofSeconds(5)).unaryRpc(SimpleRequest.getDefaultInstance()))
			.satisfies((ex) -> assertThat(ex.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE));
	}

	private String fleetStaysUp(TestCertificates.Identity server, boolean mutual, List<String> extraServer,
			List<String> extraClient) {
		String namespace = TestServices.uniqueNamespace();
		List<String> serverProperties = new ArrayList<>(List.of(
				"spring.ssl.bundle.jks.server.keystore.location=file:" + server.keyStore(),
				"spring.ssl.bundle.jks.server.keystore.password=" + TestCertificates.PASSWORD,
				"spring.ssl.bundle.jks.server.keystore.type=PKCS12", "spring.grpc.server.ssl.bundle=server"));
		List<String> clientProperties = clientProperties(mutual);
		if (mutual) {
			serverProperties.addAll(List.of(
					"spring.ssl.bundle.jks.server.truststore.location=file:" + certificates.trustStore(),
					"spring.ssl.bundle.jks.server.truststore.password=" + TestCertificates.PASSWORD,
					"spring.ssl.bundle.jks.server.truststore.type=PKCS12",
					"spring.grpc.server.ssl.client-auth=require"));
		}
		serverProperties.addAll(extraServer);
		clientProperties.addAll(extraClient);
		this.contexts.add(TestServices.startServer("user-service", "a", namespace, serverProperties.toArray(String[]::new)));
		this.contexts.add(TestServices.startServer("user-service", "b", namespace, serverProperties.toArray(String[]::new)));
		ConfigurableApplicationContext caller = TestServices.startClient(namespace,
				clientProperties.toArray(String[]::new));
		this.contexts.add(caller);
		EnhancedServiceManager manager = caller.getBean(EnhancedServiceManager.class);
		ManagedChannel channel = caller.getBean(GrpcChannelFactory.class).createChannel("users");
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel);

		await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> TestServices.answers(stub, 6).size() == 2);
		// several probe intervals, each instance probed successfully more than `retries` times
		await().atMost(Duration.ofSeconds(20))
			.until(() -> manager.getHealthMonitor().snapshot("user-service").size() == 2
					&& manager.getHealthMonitor().snapshot("user-service").stream()
						.allMatch((health) -> health.lastCheckSucceeded() && health.lastCheck() != null));
		java.time.Instant mark = java.time.Instant.now().plusMillis(600);
		await().atMost(Duration.ofSeconds(10))
			.until(() -> manager.getHealthMonitor().snapshot("user-service").stream()
				.allMatch((health) -> health.lastCheck().isAfter(mark)));

		assertThat(manager.getHealthMonitor().snapshot("user-service")).hasSize(2)
			.allSatisfy((health) -> {
				assertThat(health.isUp()).isTrue();
				assertThat(health.consecutiveFailures()).isZero();
				assertThat(health.lastError()).isNull();
			})
			.allMatch(InstanceHealth::lastCheckSucceeded);
		assertThat(manager.discoverServices("user-service")).extracting(ServiceInstance::serviceName)
			.containsExactly("user-service", "user-service");
		assertThat(TestServices.answers(stub, 6)).containsExactlyInAnyOrder("a", "b");
		return namespace;
	}

	private static List<String> clientProperties(boolean mutual) {
		List<String> properties = new ArrayList<>(List.of(
				"spring.ssl.bundle.jks.client.truststore.location=file:" + certificates.trustStore(),
				"spring.ssl.bundle.jks.client.truststore.password=" + TestCertificates.PASSWORD,
				"spring.ssl.bundle.jks.client.truststore.type=PKCS12",
				"spring.grpc.client.channel.users.target=discovery:///user-service",
				"spring.grpc.client.channel.users.ssl.bundle=client", "grpc.scale.health-check.interval=200ms",
				"grpc.scale.health-check.timeout=2s", "grpc.scale.health-check.retries=2"));
		if (mutual) {
			properties.addAll(List.of("spring.ssl.bundle.jks.client.keystore.location=file:" + client.keyStore(),
					"spring.ssl.bundle.jks.client.keystore.password=" + TestCertificates.PASSWORD,
					"spring.ssl.bundle.jks.client.keystore.type=PKCS12"));
		}
		return properties;
	}

}
