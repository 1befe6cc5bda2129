package dev.grpcscale.autoconfigure.circuitbreaker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientDefaultServiceConfigCustomizer;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.client.GrpcChannelFactory;

import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.awaitility.Awaitility.await;

/**
 * A {@code discovery:///} channel built by Boot keeps Boot's {@code spring.grpc.client.channel.*}
 * load-balancing policy, client-side health checking and retry policy, with grpc-scale's breakers on top.
 * Real Spring Boot servers over Netty on 127.0.0.1.
 */
class CircuitBreakerChannelServiceConfigTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
				GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleCircuitBreakerAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders",
				"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace());

	private final String namespace = TestServices.uniqueNamespace();

	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	private final List<ManagedChannel> channels = new ArrayList<>();

	@AfterEach
	void close() {
		TestServices.FAILING.clear();
		this.channels.forEach(ManagedChannel::shutdownNow);
		this.contexts.forEach(ConfigurableApplicationContext::close);
	}

	private void startServers(String... names) {
		for (String name : names) {
			this.contexts.add(TestServices.startServer("product-service", name, this.namespace,
					"spring.grpc.server.health.schedule.enabled=false"));
		}
	}

	private ConfigurableApplicationContext startClient(String... properties) {
		List<String> all = new ArrayList<>(List.of("grpc.scale.health-check.enabled=false"));
		all.addAll(List.of(properties));
		ConfigurableApplicationContext client = TestServices.startClient(this.namespace, all.toArray(String[]::new));
		this.contexts.add(client);
		return client;
	}

	private SimpleServiceGrpc.SimpleServiceBlockingStub stub(ConfigurableApplicationContext client, String target) {
		ManagedChannel channel = client.getBean(GrpcChannelFactory.class).createChannel(target);
		this.channels.add(channel);
		return SimpleServiceGrpc.newBlockingStub(channel);
	}

	@Test
	void loadBalancingPolicyOfTheChannelPropertiesIsKeptUnderTheBreakers() {
		startServers("a", "b", "c");
		ConfigurableApplicationContext client = startClient(
				"spring.grpc.client.channel.products.target=discovery:///product-service",
				"spring.grpc.client.channel.products.default.load-balancing-policy=pick_first",
				"grpc.scale.circuit-breaker.failure-threshold=3");
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(client, "products");
		await().atMost(Duration.ofSeconds(10)).until(() -> answers(stub, 1).ok.size() == 1);
		Calls calls = answers(stub, 12);
		assertThat(calls.failed).isZero();
		assertThat(new HashSet<>(calls.ok)).as("pick_first: one instance answers every call").hasSize(1);

		String first = calls.ok.get(0);
		TestServices.FAILING.add(first);
		assertThat(answers(stub, 3).failed).isEqualTo(3);
		assertThat(client.getBean(GrpcCircuitBreakers.class).serviceBreaker("product-service").getState())
			.as("the service breaker still guards the channel").isEqualTo(CircuitBreaker.State.OPEN);
	}

	@Test
	void clientSideHealthCheckingKeepsANotServingInstanceOutWhileInstanceBreakersStillWork() {
		startServers("a", "b", "c");
		this.contexts.get(1).getBean(HealthStatusManager.class).setStatus("", ServingStatus.NOT_SERVING);
		ConfigurableApplicationContext client = startClient("spring.grpc.client.channel.default.health.enabled=true",
				"grpc.scale.circuit-breaker.failure-threshold=3");
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(client, "discovery:///product-service");
		await().atMost(Duration.ofSeconds(10))
			.until(() -> new HashSet<>(answers(stub, 6).ok).containsAll(List.of("a", "c")));
		Calls calls = answers(stub, 30);
		assertThat(calls.failed).isZero();
		assertThat(new HashSet<>(calls.ok)).as("b is NOT_SERVING").containsExactlyInAnyOrder("a", "c");

		TestServices.FAILING.add("a");
		Calls during = answers(stub, 12);
		assertThat(during.failed).as("a's breaker opens after 3 failures").isEqualTo(3);
		Calls after = answers(stub, 12);
		assertThat(after.failed).isZero();
		assertThat(new HashSet<>(after.ok)).containsExactly("c");
		GrpcCircuitBreakers breakers = client.getBean(GrpcCircuitBreakers.class);
		assertThat(breakers.openCircuits()).singleElement().satisfies((name) -> assertThat(name).startsWith("product-service/"));
	}

	@Test
	void retryPolicyOfTheServiceConfigRetriesAFailedCallOnADiscoveryChannel() {
		startServers("a", "b");
		String method = "spring.grpc.client.channel.default.service-config.method[0].";
		ConfigurableApplicationContext client = startClient(method + "name[0].service=grpc.testing.SimpleService",
				method + "retry.max-attempts=3", method + "retry.initial-backoff=10ms",
				method + "retry.max-backoff=50ms", method + "retry.backoff-multiplier=2",
				method + "retry.retryable-status-codes=UNAVAILABLE",
				"grpc.scale.circuit-breaker.failure-threshold=100");
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(client, "discovery:///product-service");
		await().atMost(Duration.ofSeconds(10)).until(() -> new HashSet<>(answers(stub, 4).ok).size() == 2);

		TestServices.FAILING.add("a");
		Calls calls = answers(stub, 12);
		assertThat(calls.failed).as("every attempt on a was retried on b").isZero();
		assertThat(new HashSet<>(calls.ok)).containsExactly("b");
		assertThat(client.getBean(GrpcCircuitBreakers.class).instanceBreaker("product-service", instanceIdOf("a"))
			.getMetrics()
			.getNumberOfFailedCalls()).as("a's failed attempts counted in its breaker").isGreaterThanOrEqualTo(6);
	}

	@Test
	void unknownLoadBalancingPolicyFailsCallsWithAStatusInsteadOfThrowing() {
		startServers("a");
		ConfigurableApplicationContext client = startClient(
				"spring.grpc.client.channel.default.default.load-balancing-policy=no_such_policy");
		GrpcChannelFactory factory = client.getBean(GrpcChannelFactory.class);
		assertThatNoException().isThrownBy(() -> this.channels.add(factory.createChannel("discovery:///product-service")));
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(this.channels.get(0));
		assertThatExceptionOfType(StatusRuntimeException.class)
			.isThrownBy(() -> stub.withDeadlineAfter(Duration.ofSeconds(5)).unaryRpc(SimpleRequest.getDefaultInstance()))
			.satisfies((ex) -> assertThat(ex.getStatus().getDescription()).contains("no_such_policy"));
	}

	@Test
	void defaultServiceConfigOfDiscoveryChannelsNamesTheirPolicyAsChildAndKeepsTheRest() {
		this.runner.run((context) -> {
			GrpcClientDefaultServiceConfigCustomizer customizer = context.getBean(
					"discoveryGrpcClientDefaultServiceConfigCustomizer", GrpcClientDefaultServiceConfigCustomizer.class);
			Map<String, Object> discovery = new LinkedHashMap<>(Map.of("healthCheckConfig", Map.of("serviceName", "")));
			customizer.customize("discovery:///product-service", discovery);
			assertThat(discovery).containsEntry("healthCheckConfig", Map.of("serviceName", ""))
				.containsEntry("loadBalancingConfig",
						List.of(Map.of("grpc_scale_round_robin", Map.of("childPolicy", List.of(Map.of("round_robin", Map.of())))),
								Map.of("round_robin", Map.of())));
			Map<String, Object> other = new LinkedHashMap<>(Map.of("healthCheckConfig", Map.of("serviceName", "")));
			customizer.customize("static://127.0.0.1:9090", other);
			assertThat(other).containsOnlyKeys("healthCheckConfig");
		});
		// the policy and its empty-list handling belong to discovery: they stay without breakers
		this.runner.withPropertyValues("grpc.scale.circuit-breaker.enabled=false")
			.run((context) -> assertThat(context).hasBean("discoveryGrpcClientDefaultServiceConfigCustomizer"));
	}

	private String instanceIdOf(String serverName) {
		ConfigurableApplicationContext server = this.contexts.get(serverName.charAt(0) - 'a');
		return server.getBean(dev.grpcscale.EnhancedServiceManager.class)
			.discoverServices("product-service")
			.stream()
			.filter((instance) -> instance.port() == server.getEnvironment()
				.getProperty("local.grpc.server.port", Integer.class, -1))
			.findFirst()
			.orElseThrow()
			.instanceId();
	}

	private static Calls answers(SimpleServiceGrpc.SimpleServiceBlockingStub stub, int count) {
		Calls calls = new Calls();
		for (int i = 0; i < count; i++) {
			try {
				calls.ok.add(stub.withDeadlineAfter(Duration.ofSeconds(5))
					.unaryRpc(SimpleRequest.getDefaultInstance())
					.getResponseMessage());
			}
			catch (StatusRuntimeException ex) {
				calls.failed++;
			}
		}
		return calls;
	}

	static final class Calls {

		final List<String> ok = new ArrayList<>();

		int failed;

	}

}
