package dev.grpcscale.autoconfigure.actuate;

import java.util.List;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;

/**
 * Reports grpc-scale's circuit breakers: the state of each and which circuits are open. It stays
 * {@code UP} when circuits are open: an open circuit is the application protecting itself from a failing
 * dependency, not the application being down, and a readiness probe that failed on it would take every
 * caller of a flaky service out of rotation too.
 */
public class CircuitBreakersHealthIndicator extends AbstractHealthIndicator {

	private final GrpcCircuitBreakers breakers;

	/**
	 * Creates the indicator.
	 * @param breakers the breakers to report on
	 */
	public CircuitBreakersHealthIndicator(GrpcCircuitBreakers breakers) {
		super("Circuit breaker health check failed");
		this.breakers = breakers;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		List<String> open = this.breakers.openCircuits();
		builder.up().withDetail("openCircuits", open).withDetail("breakers", this.breakers.states());
	}

}
