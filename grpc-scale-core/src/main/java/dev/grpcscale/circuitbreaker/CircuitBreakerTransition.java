package dev.grpcscale.circuitbreaker;

import java.time.Instant;
import java.util.Objects;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/**
 * One state change of a breaker of {@link GrpcCircuitBreakers}, as given to a
 * {@link CircuitBreakerListener}.
 *
 * @param name the breaker's name
 * @param kind what the breaker guards
 * @param from the state it left
 * @param to the state it entered
 * @param at when the change was seen, by the breakers' clock
 */
public record CircuitBreakerTransition(String name, CircuitBreakerKind kind, CircuitBreaker.State from,
		CircuitBreaker.State to, Instant at) {

	/** Checks the arguments. */
	public CircuitBreakerTransition {
		Objects.requireNonNull(name, "name");
		Objects.requireNonNull(kind, "kind");
		Objects.requireNonNull(from, "from");
		Objects.requireNonNull(to, "to");
		Objects.requireNonNull(at, "at");
	}

}
