package dev.grpcscale.autoconfigure.actuate;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;

/**
 * Auto-configuration of the {@code grpcscale} Actuator endpoint. Expose it over HTTP with
 * {@code management.endpoints.web.exposure.include=grpcscale}.
 */
@AutoConfiguration(after = GrpcScaleAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
@ConditionalOnAvailableEndpoint(GrpcScaleEndpoint.class)
public final class GrpcScaleEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(EnhancedServiceManager.class)
	GrpcScaleEndpoint grpcScaleEndpoint(EnhancedServiceManager manager) {
		return new GrpcScaleEndpoint(manager);
	}

}
