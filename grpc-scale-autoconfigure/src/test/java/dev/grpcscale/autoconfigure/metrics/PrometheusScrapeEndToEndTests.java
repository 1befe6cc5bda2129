package dev.grpcscale.autoconfigure.metrics;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.client.GrpcChannelFactory;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.test.etcd.EtcdCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real application with Actuator and micrometer-registry-prometheus, on etcd discovery and an etcd
 * election: it calls {@code discovery:///product-service} (itself and a second instance), trips the second
 * instance's breaker, probes instances, leads its election and runs an operation; then
 * {@code /actuator/prometheus}, scraped over HTTP, holds every grpc-scale meter with its tags.
 */
class PrometheusScrapeEndToEndTests {

	private static EtcdCluster etcd;

	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	@BeforeAll
	static void startEtcd() {
		etcd = EtcdCluster.startSingle();
	}

	@AfterAll
	static void stopEtcd() {
		if (etcd != null) {
			etcd.close();
		}
	}

	@AfterEach
	void close() {
		TestServices.FAILING.clear();
		this.contexts.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void prometheusScrapeHoldsEveryGrpcScaleMeterWithItsTags() throws Exception {
		String namespace = TestServices.uniqueNamespace();
		String[] etcdDiscovery = { "grpc.scale.service-discovery.provider=etcd",
				"grpc.scale.service-discovery.etcd.endpoints=" + etcd.clientEndpoints().get(0),
				"grpc.scale.service-discovery.etcd.namespace=/" + namespace,
				"grpc.scale.service-discovery.etcd.lease-ttl=3s",
				"grpc.scale.cluster.heartbeat-interval=200ms", "grpc.scale.cluster.election-timeout=2s" };
		ConfigurableApplicationContext app = start(TestServices.startServer("product-service", "a", namespace,
				concat(etcdDiscovery, "spring.main.web-application-type=servlet", "server.port=0",
						"server.address=127.0.0.1", "spring.grpc.server.servlet.enabled=false",
						"management.endpoints.web.exposure.include=prometheus",
						"grpc.scale.circuit-breaker.failure-threshold=2", "grpc.scale.health-check.interval=300ms",
						"grpc.scale.metrics.refresh-interval=200ms")));
		ManagedChannel channel = app.getBean(GrpcChannelFactory.class).createChannel("discovery:///product-service");
		try {
			SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel);
			await().atMost(Duration.ofSeconds(20)).until(() -> TestServices.answers(stub, 3).contains("a"));
			// a second instance arrives through the watch, then fails until its breaker opens
			start(TestServices.startServer("product-service", "b", namespace, etcdDiscovery));
			await().atMost(Duration.ofSeconds(20)).until(() -> TestServices.answers(stub, 6).contains("b"));
			TestServices.FAILING.add("b");
			await().atMost(Duration.ofSeconds(20)).until(() -> !answersOrFails(stub, 6).contains("b"));
			EnhancedServiceManager manager = app.getBean(EnhancedServiceManager.class);
			assertThat(manager.executeWithEnhancements(() -> "priced", "load-prices")).isEqualTo("priced");
			await().atMost(Duration.ofSeconds(20)).until(manager::isLeader);

			String port = app.getEnvironment().getProperty("local.server.port");
			await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
				String scrape = scrape(port);
				assertThat(scrape).containsPattern(series("grpc_scale_circuitbreaker_calls_total",
						"instance_id=\"none\"", "kind=\"service\"", "name=\"product-service\"", "outcome=\"successful\""));
				assertThat(scrape).containsPattern(series("grpc_scale_circuitbreaker_calls_total", "kind=\"instance\"",
						"name=\"product-service\"", "outcome=\"failed\""));
				assertThat(scrape).containsPattern(series("grpc_scale_circuitbreaker_calls_total",
						"outcome=\"not_permitted\""));
				assertThat(scrape).containsPattern(series("grpc_scale_circuitbreaker_state", "kind=\"instance\"",
						"state=\"open\"") + " 1(\\.0)?$");
				assertThat(scrape).containsPattern(series("grpc_scale_discovery_instances",
						"service=\"product-service\"", "state=\"up\"") + " 2(\\.0)?$");
				assertThat(scrape).containsPattern(series("grpc_scale_discovery_backend_reachable",
						"provider=\"etcd\"") + " 1(\\.0)?$");
				assertThat(scrape).containsPattern(
						series("grpc_scale_discovery_registration_seconds_count", "provider=\"etcd\"") + " 1(\\.0)?$");
				assertThat(scrape).containsPattern(
						series("grpc_scale_discovery_watch_lag_seconds_count", "provider=\"etcd\"") + " [1-9]");
				assertThat(scrape).containsPattern(
						series("grpc_scale_discovery_lease_renewal_seconds_count", "provider=\"etcd\"") + " [1-9]");
				assertThat(scrape).containsPattern(series("grpc_scale_health_instances", "service=\"product-service\"",
						"state=\"up\""));
				assertThat(scrape).containsPattern(series("grpc_scale_health_probe_seconds_count", "outcome=\"serving\"",
						"service=\"product-service\""));
				assertThat(scrape).containsPattern(series("grpc_scale_cluster_leader", "election=\"") + " 1(\\.0)?$");
				assertThat(scrape).containsPattern(series("grpc_scale_cluster_fencing_token", "election=\"") + " [1-9]");
				assertThat(scrape).containsPattern(
						series("grpc_scale_cluster_lease_renewal_seconds_count", "election=\"product-service\"") + " [1-9]");
				assertThat(scrape).containsPattern(series("grpc_scale_cluster_leadership_transitions_total",
						"type=\"granted\"") + " 1(\\.0)?$");
				assertThat(scrape).containsPattern(series("grpc_scale_operation_seconds_count",
						"grpc_scale_operation=\"load-prices\"", "grpc_scale_outcome=\"success\"") + " 1(\\.0)?$");
				// resilience4j's per-call meters are not bound
				assertThat(scrape).doesNotContain("resilience4j_circuitbreaker");
			});
		}
		finally {
			channel.shutdownNow();
		}
	}

	private ConfigurableApplicationContext start(ConfigurableApplicationContext context) {
		this.contexts.add(context);
		return context;
	}

	private static java.util.Set<String> answersOrFails(SimpleServiceGrpc.SimpleServiceBlockingStub stub, int count) {
		java.util.Set<String> answers = new java.util.HashSet<>();
		for (int i = 0; i < count; i++) {
			try {
				answers.add(stub.withDeadlineAfter(Duration.ofSeconds(5))
					.unaryRpc(SimpleRequest.getDefaultInstance())
					.getResponseMessage());
			}
			catch (StatusRuntimeException ex) {
				answers.add("b");
			}
		}
		return answers;
	}

	/**
	 * A pattern of one series line of the metric with these labels among its labels (in Prometheus's order);
	 * without labels, of the series without any.
	 */
	private static String series(String metric, String... labels) {
		StringBuilder pattern = new StringBuilder("(?m)^").append(Pattern.quote(metric));
		if (labels.length == 0) {
			return pattern.toString();
		}
		pattern.append("\\{");
		for (String label : labels) {
			pattern.append("(?:[^}]*,)?").append(Pattern.quote(label)).append("[^}]*?");
		}
		return pattern.append("\\}").toString();
	}

	private static String scrape(String port) throws Exception {
		HttpResponse<String> response = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus")).build(),
					HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		return response.body();
	}

	private static String[] concat(String[] first, String... more) {
		List<String> all = new ArrayList<>(List.of(first));
		all.addAll(List.of(more));
		return all.toArray(String[]::new);
	}

}
