package dev.grpcscale.autoconfigure.health;

import org.springframework.boot.context.properties.PropertyMapper;

import dev.grpcscale.autoconfigure.GrpcScaleHealthCheckProperties;
import dev.grpcscale.health.HealthCheckOptions;

/** Maps {@code grpc.scale.health-check.*} onto {@link HealthCheckOptions}. */
final class HealthCheckOptionsMapper {

	private HealthCheckOptionsMapper() {
	}

	static HealthCheckOptions map(GrpcScaleHealthCheckProperties properties) {
		HealthCheckOptions.Builder builder = HealthCheckOptions.builder();
		PropertyMapper map = PropertyMapper.get();
		map.from(properties::getInterval).to(builder::interval);
		map.from(properties::getTimeout).to(builder::timeout);
		map.from(properties::getRetries).to(builder::retries);
		map.from(properties::getEndpoint).to(builder::endpoint);
		map.from(properties.getPanic()::isEnabled).to(builder::panicMode);
		map.from(properties.getPanic()::getThreshold).to(builder::panicThreshold);
		return builder.build();
	}

}
