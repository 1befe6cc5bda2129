package dev.grpcscale.autoconfigure.actuate;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.discovery.ServiceDiscovery;

/**
 * Auto-configuration of grpc-scale's health indicators: {@code discovery} reports the discovery
 * backend's reachability. Turn it off with {@code management.health.discovery.enabled=false}.
 */
@AutoConfiguration(after = GrpcScaleDiscoveryAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
public final class GrpcScaleHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "discoveryHealthIndicator")
	@ConditionalOnBean(ServiceDiscovery.class)
	@ConditionalOnEnabledHealthIndicator("discovery")
	DiscoveryHealthIndicator discoveryHealthIndicator(ServiceDiscovery discovery) {
		return new DiscoveryHealthIndicator(discovery);
	}

}
