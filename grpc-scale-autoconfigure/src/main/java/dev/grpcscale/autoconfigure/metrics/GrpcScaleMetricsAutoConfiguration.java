package dev.grpcscale.autoconfigure.metrics;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.GrpcScaleMetricsProperties;
import dev.grpcscale.autoconfigure.circuitbreaker.GrpcScaleCircuitBreakerAutoConfiguration;
import dev.grpcscale.autoconfigure.cluster.GrpcScaleClusterAutoConfiguration;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.autoconfigure.health.GrpcScaleHealthCheckAutoConfiguration;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;

/**
 * Auto-configuration of grpc-scale's Micrometer meters: meter binders of the circuit breakers,
 * discovery and health, and leader elections that exist, which Boot binds to the application's
 * {@link MeterRegistry}. Switched off with {@code grpc.scale.metrics.enabled=false}.
 *
 * <p>resilience4j's own breaker meters ({@code resilience4j.circuitbreaker.*}, bound through
 * {@code TaggedCircuitBreakerMetrics}, which subscribes to each breaker's per-call events) are no longer
 * bound by grpc-scale; an application that wants them declares a
 * {@code TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(registry)} bean.
 *
 * @see io.micrometer.core.instrument.binder.MeterBinder
 */
@AutoConfiguration(after = { GrpcScaleAutoConfiguration.class, GrpcScaleCircuitBreakerAutoConfiguration.class,
		GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleHealthCheckAutoConfiguration.class,
		GrpcScaleClusterAutoConfiguration.class })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBooleanProperty(name = "grpc.scale.metrics.enabled", matchIfMissing = true)
@EnableConfigurationProperties(GrpcScaleMetricsProperties.class)
public final class GrpcScaleMetricsAutoConfiguration {

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	@ConditionalOnBean(ServiceDiscovery.class)
	DiscoveryMeterBinder grpcScaleDiscoveryMeterBinder(ServiceDiscovery discovery,
			GrpcScaleMetricsProperties properties) {
		// the backend's own list for instance counts; the health checker, when it decorates it, for health
		HealthCheckingServiceDiscovery health = (discovery instanceof HealthCheckingServiceDiscovery checking)
				? checking : null;
		ServiceDiscovery backend = (health != null) ? health.delegate() : discovery;
		return new DiscoveryMeterBinder(backend, health, properties.getRefreshInterval());
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(LeaderElection.class)
	ClusterMeterBinder grpcScaleClusterMeterBinder(ObjectProvider<LeaderElection> elections) {
		return new ClusterMeterBinder(elections.orderedStream().toList());
	}

	/** Breakers: only where resilience4j's registry type is present (it is grpc-scale-core's dependency). */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(CircuitBreakerRegistry.class)
	static class CircuitBreakerMetersConfiguration {

		@Bean
		@ConditionalOnMissingBean
		@ConditionalOnBean(GrpcCircuitBreakers.class)
		CircuitBreakerMeterBinder grpcScaleCircuitBreakerMeterBinder(GrpcCircuitBreakers breakers) {
			return new CircuitBreakerMeterBinder(breakers);
		}

	}

}
