package dev.grpcscale.autoconfigure.circuitbreaker;

import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;

/**
 * Customizes the {@link GrpcCircuitBreakers.Builder} after {@code grpc.scale.circuit-breaker.*} was
 * applied, for example to add overrides computed in code or a listener. Beans of this type run in
 * {@link org.springframework.core.Ordered order}.
 */
@FunctionalInterface
public interface GrpcCircuitBreakersCustomizer {

	/**
	 * Customizes the builder.
	 * @param builder the builder
	 */
	void customize(GrpcCircuitBreakers.Builder builder);

}
