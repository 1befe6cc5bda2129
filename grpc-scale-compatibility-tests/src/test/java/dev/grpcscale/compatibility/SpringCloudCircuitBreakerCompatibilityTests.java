package dev.grpcscale.compatibility;

import java.util.UUID;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.cloud.client.circuitbreaker.CircuitBreakerFactory;
import org.springframework.context.ConfigurableApplicationContext;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.circuitbreaker.CircuitBreakerOpenException;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * grpc-scale in one application with Spring Cloud CircuitBreaker Resilience4j (2025.1, the Spring Boot 4
 * line) on resilience4j's own Spring Boot 4 module, {@code resilience4j-spring-boot4} (Spring Cloud's
 * {@code resilience4j-spring-boot3} refuses to start on Spring Boot 4): one context, full
 * auto-configuration.
 */
class SpringCloudCircuitBreakerCompatibilityTests {

	private static final String R4J = "io.github.resilience4j.springboot.circuitbreaker.autoconfigure.";

	@Test
	void bothSetsOfBreakersPropertiesAndHealthWorkInOneContext() {
		try (ConfigurableApplicationContext context = start(
				// the application's breakers, in resilience4j's and Spring Cloud's terms
				"resilience4j.circuitbreaker.configs.default.minimum-number-of-calls=3",
				"resilience4j.circuitbreaker.configs.default.sliding-window-size=3",
				"resilience4j.circuitbreaker.instances.backend-a.minimum-number-of-calls=7",
				"resilience4j.circuitbreaker.instances.backend-a.register-health-indicator=true",
				"management.health.circuitbreakers.enabled=true",
				// grpc-scale's
				"grpc.scale.circuit-breaker.failure-threshold=2",
				"grpc.scale.circuit-breaker.instances.inventory.failure-threshold=4")) {
			// one registry, the application's (resilience4j's bean), shared by grpc-scale
			assertThat(context.containsBean("grpcScaleCircuitBreakerRegistry")).isFalse();
			CircuitBreakerRegistry registry = context.getBean(CircuitBreakerRegistry.class);
			GrpcCircuitBreakers breakers = context.getBean(GrpcCircuitBreakers.class);
			assertThat(breakers.registry()).isSameAs(registry);

			// the application's breakers keep their properties
			CircuitBreakerFactory<?, ?> factory = context.getBean(CircuitBreakerFactory.class);
			assertThat(factory.create("backend-a").run(() -> "ok")).isEqualTo("ok");
			assertThat(registry.circuitBreaker("backend-a").getCircuitBreakerConfig().getMinimumNumberOfCalls())
				.isEqualTo(7);
			assertThat(registry.getDefaultConfig().getMinimumNumberOfCalls()).isEqualTo(3);

			// grpc-scale's keep theirs: 2 failures open an operation's breaker, the inventory override is 4
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			for (int i = 0; i < 2; i++) {
				assertThatIllegalStateException().isThrownBy(() -> manager.executeWithEnhancements(() -> {
					throw new IllegalStateException("down");
				}, "ledger"));
			}
			assertThatExceptionOfType(CircuitBreakerOpenException.class)
				.isThrownBy(() -> manager.executeWithEnhancements(() -> "never", "ledger"));
			assertThat(breakers.config("inventory").getMinimumNumberOfCalls()).isEqualTo(4);
			assertThat(registry.circuitBreaker("backend-a").getState()).isEqualTo(CircuitBreaker.State.CLOSED);
			assertThat(breakers.states()).containsOnlyKeys("ledger");

			// health: resilience4j's indicator and grpc-scale's, each under its own id
			HealthContributorRegistry health = context.getBean(HealthContributorRegistry.class);
			HealthIndicator theirs = (HealthIndicator) health.getContributor("circuitBreakers");
			assertThat(theirs).isNotNull();
			assertThat(theirs.health(true).getDetails()).containsKey("backend-a");
			HealthIndicator ours = (HealthIndicator) health.getContributor("grpcScaleCircuitBreakers");
			assertThat(ours).isNotNull();
			assertThat(ours.health(true).getStatus()).isEqualTo(Status.UP);
			assertThat(ours.health(true).getDetails()).containsKey("openCircuits");
		}
	}

	@Test
	void applicationWithoutResilience4jsModuleGetsGrpcScalesRegistry() {
		// Spring Cloud's factory needs a registry bean; grpc-scale's serves it
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class)
			.web(WebApplicationType.NONE)
			.properties("spring.application.name=orders", "spring.grpc.server.enabled=false",
					"grpc.scale.service-discovery.memory.namespace=compat-" + UUID.randomUUID(),
					"spring.autoconfigure.exclude=" + R4J + "CircuitBreakerAutoConfiguration," + R4J
							+ "CircuitBreakerRefreshScopedRegistryAutoConfiguration")
			.run()) {
			assertThat(context.containsBean("grpcScaleCircuitBreakerRegistry")).isTrue();
			assertThat(context.getBean(CircuitBreakerFactory.class).create("backend-b").run(() -> "ok")).isEqualTo("ok");
			assertThat(context.getBean(GrpcCircuitBreakers.class).registry().getAllCircuitBreakers())
				.extracting(CircuitBreaker::getName)
				.contains("backend-b");
		}
	}

	private static ConfigurableApplicationContext start(String... properties) {
		return new SpringApplicationBuilder(Application.class).web(WebApplicationType.NONE)
			.properties("spring.application.name=orders", "spring.grpc.server.enabled=false",
					"grpc.scale.service-discovery.memory.namespace=compat-" + UUID.randomUUID())
			.properties(properties)
			.run();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class Application {

	}

}
