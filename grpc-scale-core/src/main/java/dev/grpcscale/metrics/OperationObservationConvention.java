package dev.grpcscale.metrics;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags the {@code grpc.scale.operation} observation of {@code executeWithEnhancements}. Implement
 * it (usually by extending {@link DefaultOperationObservationConvention}) to change the name or add key
 * values; with Spring Boot, a bean of this type replaces the default.
 */
public interface OperationObservationConvention extends ObservationConvention<OperationContext> {

	@Override
	default boolean supportsContext(Observation.Context context) {
		return context instanceof OperationContext;
	}

}
