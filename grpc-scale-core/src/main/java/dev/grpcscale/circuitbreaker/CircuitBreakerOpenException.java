package dev.grpcscale.circuitbreaker;

import java.util.Objects;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/**
 * Thrown (or completing the stage exceptionally) by {@link GrpcCircuitBreakers#execute} and
 * {@link GrpcCircuitBreakers#executeAsync}, and so by {@code EnhancedServiceManager.executeWithEnhancements},
 * when the operation's breaker does not permit the call: the operation was <em>not</em> invoked.
 *
 * <p>It is unchecked and has no stack trace (it is expected under load and cheap to create). gRPC calls
 * rejected by {@link CircuitBreakerClientInterceptor} fail with {@code Status.UNAVAILABLE} instead.
 */
public final class CircuitBreakerOpenException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	private final String breakerName;

	private final CircuitBreaker.State state;

	/**
	 * Creates the exception.
	 * @param breakerName the breaker that rejected the call
	 * @param state its state when it rejected it
	 */
	public CircuitBreakerOpenException(String breakerName, CircuitBreaker.State state) {
		super("Circuit breaker '" + Objects.requireNonNull(breakerName, "breakerName") + "' is " + state
				+ " and does not permit further calls; the operation was not invoked", null, false, false);
		this.breakerName = breakerName;
		this.state = Objects.requireNonNull(state, "state");
	}

	/** The name of the breaker that rejected the call. */
	public String getBreakerName() {
		return this.breakerName;
	}

	/** The breaker's state when it rejected the call ({@code OPEN}, {@code HALF_OPEN} or {@code FORCED_OPEN}). */
	public CircuitBreaker.State getState() {
		return this.state;
	}

}
