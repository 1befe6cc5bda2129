package dev.grpcscale.autoconfigure.actuate;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.GrpcScaleHealthCheckProperties;
import dev.grpcscale.autoconfigure.circuitbreaker.GrpcScaleCircuitBreakerAutoConfiguration;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;

/**
 * Auto-configuration of grpc-scale's health indicators: {@code discovery} (the discovery backend's
 * reachability), {@code grpcScaleCircuitBreakers} (open circuits; stays UP) and {@code grpcInstances}
 * (client-side checks of called instances; stays UP). Turn one off with
 * {@code management.health.<discovery|grpc-scale-circuit-breakers|grpcinstances>.enabled=false}. The circuit
 * breakers' indicator is not named {@code circuitBreakers}, the id of resilience4j's own indicator, so both
 * can be present; {@code management.health.circuitbreakers.enabled=false}, its earlier key, still turns it
 * off (and resilience4j's with it).
 */
@AutoConfiguration(after = { GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleCircuitBreakerAutoConfiguration.class,
		GrpcScaleAutoConfiguration.class })
@ConditionalOnClass(HealthIndicator.class)
@EnableConfigurationProperties(GrpcScaleHealthCheckProperties.class)
public final class GrpcScaleHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "grpcScaleCircuitBreakersHealthIndicator")
	@ConditionalOnBean(GrpcCircuitBreakers.class)
	@ConditionalOnEnabledHealthIndicator("grpc-scale-circuit-breakers")
	@ConditionalOnBooleanProperty(name = "management.health.circuitbreakers.enabled", matchIfMissing = true)
	CircuitBreakersHealthIndicator grpcScaleCircuitBreakersHealthIndicator(GrpcCircuitBreakers breakers) {
		return new CircuitBreakersHealthIndicator(breakers);
	}

	@Bean
	@ConditionalOnMissingBean(name = "grpcInstancesHealthIndicator")
	@ConditionalOnBean(HealthCheckingServiceDiscovery.class)
	@ConditionalOnEnabledHealthIndicator("grpcinstances")
	InstanceHealthIndicator grpcInstancesHealthIndicator(HealthCheckingServiceDiscovery monitor) {
		return new InstanceHealthIndicator(monitor);
	}

	@Bean
	@ConditionalOnMissingBean(name = "discoveryHealthIndicator")
	@ConditionalOnBean(ServiceDiscovery.class)
	@ConditionalOnEnabledHealthIndicator("discovery")
	DiscoveryHealthIndicator discoveryHealthIndicator(ServiceDiscovery discovery,
			GrpcScaleHealthCheckProperties properties) {
		return new DiscoveryHealthIndicator(discovery, properties.isServingRequiresDiscovery());
	}

}
