package dev.grpcscale.autoconfigure.health;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.GrpcScaleHealthCheckProperties;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.health.HealthCheckListener;

/**
 * Auto-configuration of client-side health checking: with discovery and
 * {@code grpc.scale.health-check.enabled} (the default), the instances of the services this application
 * calls are probed with {@code grpc.health.v1.Health/Check} every {@code interval}, and those that failed
 * {@code retries} probes in a row leave discovery results and load balancing until a probe succeeds.
 */
@AutoConfiguration(after = GrpcScaleAutoConfiguration.class,
		afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnBooleanProperty(name = "grpc.scale.health-check.enabled", matchIfMissing = true)
public final class GrpcScaleHealthCheckAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean({ EnhancedServiceManager.class, ServiceDiscovery.class })
	GrpcScaleHealthMonitoring grpcScaleHealthMonitoring(EnhancedServiceManager manager,
			GrpcScaleHealthCheckProperties properties, ObjectProvider<HealthCheckListener> listeners) {
		return new GrpcScaleHealthMonitoring(manager, HealthCheckOptionsMapper.map(properties),
				listeners.orderedStream().toList());
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	static class MetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean
		@ConditionalOnBean(MeterRegistry.class)
		HealthProbeTimer healthProbeTimer(MeterRegistry registry) {
			return new HealthProbeTimer(registry);
		}

	}

}
