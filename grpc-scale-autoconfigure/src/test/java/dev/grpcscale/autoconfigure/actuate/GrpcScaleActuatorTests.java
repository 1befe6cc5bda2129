package dev.grpcscale.autoconfigure.actuate;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDiscovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

class GrpcScaleActuatorTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
				GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleEndpointAutoConfiguration.class,
				GrpcScaleHealthContributorAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders", "management.endpoints.web.exposure.include=grpcscale",
				"grpc.scale.service-discovery.memory.namespace=actuator-" + System.nanoTime());

	@Test
	void endpointAndDiscoveryHealthIndicatorByDefault() {
		this.runner.run((context) -> assertThat(context).hasSingleBean(GrpcScaleEndpoint.class)
			.hasBean("discoveryHealthIndicator"));
	}

	@Test
	void endpointCanBeDisabled() {
		this.runner.withPropertyValues("management.endpoint.grpcscale.access=NONE")
			.run((context) -> assertThat(context).doesNotHaveBean(GrpcScaleEndpoint.class));
	}

	@Test
	void healthIndicatorCanBeDisabled() {
		this.runner.withPropertyValues("management.health.discovery.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean("discoveryHealthIndicator"));
	}

	@Test
	void circuitBreakersIndicatorHasAnIdOfItsOwnAndBothItsKeysTurnItOff() {
		ApplicationContextRunner runner = this.runner.withConfiguration(
				AutoConfigurations.of(dev.grpcscale.autoconfigure.circuitbreaker.GrpcScaleCircuitBreakerAutoConfiguration.class));
		runner.run((context) -> assertThat(context).hasBean("grpcScaleCircuitBreakersHealthIndicator")
			.doesNotHaveBean("circuitBreakersHealthIndicator"));
		runner.withPropertyValues("management.health.grpc-scale-circuit-breakers.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(CircuitBreakersHealthIndicator.class));
		runner.withPropertyValues("management.health.circuitbreakers.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(CircuitBreakersHealthIndicator.class));
	}

	@Test
	void userHealthIndicatorReplacesOurs() {
		this.runner.withUserConfiguration(UserIndicator.class).run((context) -> assertThat(context)
			.getBean("discoveryHealthIndicator")
			.isNotInstanceOf(DiscoveryHealthIndicator.class));
	}

	@Test
	void withoutActuatorThereIsNoEndpointOrIndicator() {
		this.runner
			.withClassLoader(new FilteredClassLoader(org.springframework.boot.actuate.endpoint.annotation.Endpoint.class,
					org.springframework.boot.health.contributor.HealthIndicator.class))
			.run((context) -> assertThat(context).doesNotHaveBean(GrpcScaleEndpoint.class)
				.doesNotHaveBean("discoveryHealthIndicator"));
	}

	@Test
	void unreachableBackendIsUnknownByDefaultAndDownWhenServingRequiresDiscovery() {
		ServiceDiscovery discovery = mock(ServiceDiscovery.class);
		given(discovery.status()).willReturn(new DiscoveryStatus("etcd", false, java.util.Map.of("endpoints", 3)));
		Health health = new DiscoveryHealthIndicator(discovery, false).health(true);
		assertThat(health.getStatus()).isEqualTo(Status.UNKNOWN);
		assertThat(health.getDetails()).containsEntry("provider", "etcd")
			.containsEntry("reachable", false)
			.containsEntry("endpoints", 3);
		assertThat(new DiscoveryHealthIndicator(discovery, true).health(true).getStatus()).isEqualTo(Status.DOWN);
		given(discovery.status()).willReturn(new DiscoveryStatus("etcd", true, java.util.Map.of()));
		assertThat(new DiscoveryHealthIndicator(discovery, true).health(true).getStatus()).isEqualTo(Status.UP);
	}

	@Test
	void servingRequiresDiscoveryPropertyMakesTheIndicatorStrict() {
		this.runner.withPropertyValues("grpc.scale.health-check.serving-requires-discovery=true")
			.withBean(ServiceDiscovery.class, () -> {
				ServiceDiscovery discovery = mock(ServiceDiscovery.class);
				given(discovery.status()).willReturn(new DiscoveryStatus("etcd", false, java.util.Map.of()));
				return discovery;
			})
			.run((context) -> assertThat(context.getBean(DiscoveryHealthIndicator.class).health(false).getStatus())
				.isEqualTo(Status.DOWN));
	}

	@Test
	void statusIsServedAsJsonOverHttpAndDiscoveryHealthIsReported() throws Exception {
		String namespace = "actuator-http-" + System.nanoTime();
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(WebApplication.class)
			.web(WebApplicationType.SERVLET)
			.properties("spring.application.name=orders", "server.port=0", "server.address=127.0.0.1",
					"spring.grpc.server.port=0", "spring.grpc.server.address=127.0.0.1",
					"spring.grpc.server.servlet.enabled=false", "management.endpoints.web.exposure.include=grpcscale,health",
					"management.endpoint.health.show-details=always", "management.otlp.metrics.export.enabled=false",
					"grpc.scale.service-discovery.memory.namespace=" + namespace)
			.run()) {
			String port = context.getEnvironment().getProperty("local.server.port");
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			assertThat(manager.executeWithEnhancements(() -> "priced", "load-prices")).isEqualTo("priced");
			assertThat(manager.discoverServices("orders")).hasSize(1);
			HttpClient http = HttpClient.newHttpClient();
			HttpResponse<String> status = http.send(
					HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/grpcscale")).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(status.statusCode()).isEqualTo(200);
			// the seven sections and their fields, as docs/operations.md lists them
			JsonNode json = JsonMapper.builder().build().readTree(status.body());
			assertThat(json.propertyNames()).containsExactly("services", "discovery", "cluster", "circuitBreaker",
					"health", "tracing", "shuttingDown");
			assertThat(json.get("services").get(0).propertyNames()).containsExactlyInAnyOrder("serviceName",
					"instanceId", "host", "port", "metadata", "status", "registrationTime", "up");
			assertThat(json.get("discovery").propertyNames()).containsExactly("backend", "instances");
			assertThat(json.get("discovery").get("backend").propertyNames()).containsExactly("provider", "reachable",
					"details");
			assertThat(json.get("cluster").propertyNames()).containsExactlyInAnyOrder("provider", "nodeId", "nodes",
					"leader", "isLeader", "ownFencingToken", "highestFencingTokenSeen");
			// role: the member's Raft role with provider raft, null on the others
			assertThat(json.get("cluster").get("nodes").get(0).propertyNames()).containsExactlyInAnyOrder("nodeId",
					"address", "lastHeartbeat", "status", "role");
			assertThat(json.get("cluster").get("leader").propertyNames()).containsExactlyInAnyOrder("nodeId",
					"address", "fencingToken");
			assertThat(json.get("circuitBreaker").propertyNames()).containsExactly("breakers", "openCircuits");
			assertThat(json.get("circuitBreaker").get("breakers").get("load-prices").asString()).isEqualTo("CLOSED");
			assertThat(json.get("health").propertyNames()).containsExactly("options", "instances", "panicServices");
			assertThat(json.get("health").get("options").propertyNames()).containsExactlyInAnyOrder("interval",
					"timeout", "retries", "endpoint", "panicMode", "panicThreshold");
			assertThat(json.get("tracing").propertyNames()).containsExactly("available", "enabled",
					"samplingProbability", "exporterEndpoint", "spansExported", "spansDropped");
			assertThat(json.get("tracing").get("available").asBoolean()).isTrue();
			assertThat(status.headers().firstValue("Content-Type")).hasValueSatisfying(
					(type) -> assertThat(type).contains("json"));
			assertThat(status.body()).contains("\"serviceName\":\"orders\"")
				.contains("\"provider\":\"memory\"")
				.contains("\"shuttingDown\":false");
			HttpResponse<String> health = http.send(
					HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(health.body()).contains("\"discovery\":{")
				.contains("\"namespace\":\"" + namespace + "\"")
				.contains("\"grpcScaleCircuitBreakers\":{");
		}
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

	@Configuration(proxyBeanMethods = false)
	static class UserIndicator {

		@Bean
		org.springframework.boot.health.contributor.HealthIndicator discoveryHealthIndicator() {
			return () -> Health.up().build();
		}

	}

}
