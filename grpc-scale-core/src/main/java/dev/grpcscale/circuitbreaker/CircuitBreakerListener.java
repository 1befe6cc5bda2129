package dev.grpcscale.circuitbreaker;

/**
 * Told of every state change of the breakers of a {@link GrpcCircuitBreakers}; register it with
 * {@link GrpcCircuitBreakers#addListener} or {@link GrpcCircuitBreakers.Builder#listener}.
 *
 * <p>It is called on the thread whose call caused the change (often a gRPC transport thread), right after
 * the change: keep it short and never block. An exception it throws is logged and dropped; it never
 * reaches the call that caused the change, nor the other listeners.
 */
@FunctionalInterface
public interface CircuitBreakerListener {

	/**
	 * Called after a breaker changed state.
	 * @param transition the change
	 */
	void onStateTransition(CircuitBreakerTransition transition);

}
