package dev.grpcscale.autoconfigure.discovery;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.test.consul.FakeConsulAgent;
import dev.grpcscale.test.tls.TestCertificates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Discovery on a Consul agent served over https, trusted through a Spring Boot SSL bundle. */
class ConsulSslBundleTests {

	@TempDir
	Path directory;

	@Test
	void httpsAgentIsReachedThroughTheBundleWithTheTokenInItsHeader() throws Exception {
		TestCertificates certificates = TestCertificates.create(this.directory);
		TestCertificates.Identity server = certificates.issue("consul", "127.0.0.1", "localhost");
		try (FakeConsulAgent agent = new FakeConsulAgent(server.sslContext())) {
			agent.serveRegisteredServicesAsPassing();
			new ApplicationContextRunner()
				.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, GrpcScaleAutoConfiguration.class,
						GrpcScaleDiscoveryAutoConfiguration.class))
				.withPropertyValues("spring.application.name=orders", "grpc.scale.cluster.enabled=false",
						"grpc.scale.service-discovery.provider=consul",
						"grpc.scale.service-discovery.consul.host=127.0.0.1",
						"grpc.scale.service-discovery.consul.port=" + agent.port(),
						"grpc.scale.service-discovery.consul.token=bundle-token",
						"grpc.scale.service-discovery.consul.tls.bundle=consul",
						"spring.ssl.bundle.jks.consul.truststore.location=file:" + certificates.trustStore(),
						"spring.ssl.bundle.jks.consul.truststore.password=" + TestCertificates.PASSWORD,
						"spring.ssl.bundle.jks.consul.truststore.type=PKCS12")
				.run((context) -> {
					assertThat(context).hasNotFailed();
					EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
					manager.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090));
					await().atMost(Duration.ofSeconds(10)).until(() -> manager.discoverServices("orders").size() == 1);
					assertThat(manager.getEnhancedServiceStatus().discovery().backend().details().toString())
						.contains("https://127.0.0.1:" + agent.port());
					assertThat(agent.requests("PUT", "/v1/agent/service/register")).isNotEmpty()
						.allSatisfy((request) -> assertThat(request.headers().get("x-consul-token"))
							.containsExactly("bundle-token"));
				});
		}
	}

}
