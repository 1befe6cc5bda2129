package dev.grpcscale.autoconfigure;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.test.consul.FakeConsulAgent;
import dev.grpcscale.test.etcd.EtcdCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.awaitility.Awaitility.await;

/**
 * No secret leaks: with an etcd password (discovery, against an etcd with authentication on) and a Consul
 * ACL token (the cluster, on a fake agent) configured, every log line at DEBUG, {@code /actuator/grpcscale},
 * {@code /actuator/health} and failure-analyzer reports are free of both.
 */
@ExtendWith(OutputCaptureExtension.class)
class SecretsSweepTests {

	private static final String PASSWORD = "etcd-pw-7c1e5a93";

	private static final String TOKEN = "consul-token-2b8d4f60";

	@Test
	void neitherSecretAppearsInLogsActuatorOrFailureReports(CapturedOutput output) throws Exception {
		try (EtcdCluster etcd = EtcdCluster.startSingle(); FakeConsulAgent consul = new FakeConsulAgent()) {
			enableAuthentication(etcd);
			List<String> responses = new ArrayList<>();
			String started;
			try (ConfigurableApplicationContext context = start(etcd, consul, PASSWORD)) {
				started = output.getAll();
				EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
				await().atMost(Duration.ofSeconds(20)).until(() -> manager.getClusterInfo().leader() != null);
				assertThat(manager.discoverServices("orders")).hasSize(1);
				String port = context.getEnvironment().getProperty("local.server.port");
				HttpClient http = HttpClient.newHttpClient();
				for (String path : List.of("/actuator/grpcscale", "/actuator/health", "/actuator/env",
						"/actuator/configprops")) {
					HttpResponse<String> response = http.send(
							HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
							HttpResponse.BodyHandlers.ofString());
					assertThat(response.statusCode()).as(path).isEqualTo(200);
					responses.add(path + " " + response.body());
				}
			}
			// a start-up failure with the secrets configured: the discovery backend refuses the credentials
			assertThatException().isThrownBy(() -> start(etcd, consul, PASSWORD + "-wrong").close());
			// and a configuration error reported by a failure analyzer
			assertThatException().isThrownBy(() -> start(etcd, consul, PASSWORD, "grpc.scale.health-check.retries=0")
				.close());

			assertThat(output.getAll()).contains("Registered orders instance")
				.contains("APPLICATION FAILED TO START")
				.contains("grpc.scale.health-check.retries")
				.doesNotContain(PASSWORD)
				.doesNotContain(TOKEN);
			// secrets over plain http: one warning each, naming neither secret
			assertThat(occurrences(started, "The etcd password of user 'root' is sent unencrypted")).isOne();
			assertThat(occurrences(started, "The Consul ACL token is sent unencrypted")).isOne();
			assertThat(responses).hasSize(4).allSatisfy((response) -> assertThat(response)
				.doesNotContain(PASSWORD)
				.doesNotContain(TOKEN));
			assertThat(responses.get(0)).contains("\"serviceName\":\"orders\"");
		}
	}

	private static ConfigurableApplicationContext start(EtcdCluster etcd, FakeConsulAgent consul, String password,
			String... extra) {
		List<String> properties = new ArrayList<>(List.of("spring.application.name=orders", "server.port=0",
				"server.address=127.0.0.1", "spring.grpc.server.port=0", "spring.grpc.server.address=127.0.0.1",
				"spring.grpc.server.servlet.enabled=false", "logging.level.root=DEBUG",
				"management.endpoints.web.exposure.include=*", "management.endpoint.health.show-details=always",
				"management.otlp.metrics.export.enabled=false", "grpc.scale.service-discovery.provider=etcd",
				"grpc.scale.service-discovery.etcd.endpoints=" + String.join(",", etcd.clientEndpoints()),
				"grpc.scale.service-discovery.etcd.username=root",
				"grpc.scale.service-discovery.etcd.password=" + password,
				"grpc.scale.service-discovery.etcd.request-timeout=3s",
				"grpc.scale.service-discovery.etcd.namespace=/secrets-" + System.nanoTime(),
				"grpc.scale.cluster.provider=consul", "grpc.scale.cluster.consul.host=127.0.0.1",
				"grpc.scale.cluster.consul.port=" + consul.port(), "grpc.scale.cluster.consul.token=" + TOKEN,
				"grpc.scale.cluster.heartbeat-interval=200ms", "grpc.scale.cluster.election-timeout=2s"));
		properties.addAll(List.of(extra));
		return new SpringApplicationBuilder(WebApplication.class).web(WebApplicationType.SERVLET)
			.properties(properties.toArray(String[]::new))
			.run();
	}

	private static int occurrences(String text, String part) {
		return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
	}

	private static void enableAuthentication(EtcdCluster etcd) throws Exception {
		try (Client admin = Client.builder().endpoints(etcd.clientEndpoints().toArray(String[]::new)).build()) {
			var auth = admin.getAuthClient();
			auth.roleAdd(bytes("root")).get(10, TimeUnit.SECONDS);
			auth.userAdd(bytes("root"), bytes(PASSWORD)).get(10, TimeUnit.SECONDS);
			auth.userGrantRole(bytes("root"), bytes("root")).get(10, TimeUnit.SECONDS);
			auth.authEnable().get(10, TimeUnit.SECONDS);
		}
	}

	private static ByteSequence bytes(String text) {
		return ByteSequence.from(text, StandardCharsets.UTF_8);
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class WebApplication {

		@Bean
		io.grpc.BindableService simpleService() {
			return new io.grpc.testing.protobuf.SimpleServiceGrpc.SimpleServiceImplBase() {
			};
		}

	}

}
