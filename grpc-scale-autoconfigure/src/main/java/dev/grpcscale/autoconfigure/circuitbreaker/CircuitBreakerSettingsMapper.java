package dev.grpcscale.autoconfigure.circuitbreaker;

import java.util.List;

import io.grpc.Status;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.PropertyMapper;

import dev.grpcscale.autoconfigure.GrpcScaleCircuitBreakerProperties;
import dev.grpcscale.circuitbreaker.CircuitBreakerSettings;

/**
 * Maps {@code grpc.scale.circuit-breaker.*}, validated when it was bound, onto {@link CircuitBreakerSettings}.
 */
final class CircuitBreakerSettingsMapper {

	private CircuitBreakerSettingsMapper() {
	}

	static CircuitBreakerSettings defaults(GrpcScaleCircuitBreakerProperties properties) {
		CircuitBreakerSettings.Builder builder = CircuitBreakerSettings.builder();
		PropertyMapper map = PropertyMapper.get();
		map.from(properties::getFailureThreshold).to(builder::failureThreshold);
		map.from(properties::getRecoveryTimeout).to(builder::recoveryTimeout);
		map.from(properties::getMonitoringPeriod).to(builder::monitoringPeriod);
		map.from(properties::getExpectedErrors).as(CircuitBreakerSettingsMapper::codes).to(builder::expectedErrors);
		map.from(properties::getFailureRateThreshold).to(builder::failureRateThreshold);
		return builder.build();
	}

	static CircuitBreakerSettings override(CircuitBreakerSettings defaults, String name,
			GrpcScaleCircuitBreakerProperties.Instance instance) {
		CircuitBreakerSettings.Builder builder = defaults.toBuilder();
		PropertyMapper map = PropertyMapper.get();
		map.from(instance::getFailureThreshold).to(builder::failureThreshold);
		map.from(instance::getRecoveryTimeout).to(builder::recoveryTimeout);
		map.from(instance::getMonitoringPeriod).to(builder::monitoringPeriod);
		map.from(instance::getExpectedErrors).as(CircuitBreakerSettingsMapper::codes).to(builder::expectedErrors);
		map.from(instance::getFailureRateThreshold).to(builder::failureRateThreshold);
		return builder.build();
	}

	private static List<Status.Code> codes(@Nullable List<String> names) {
		// names were checked by the start-up validation
		return (names != null) ? names.stream().map(String::trim).map(Status.Code::valueOf).toList() : List.of();
	}

}
