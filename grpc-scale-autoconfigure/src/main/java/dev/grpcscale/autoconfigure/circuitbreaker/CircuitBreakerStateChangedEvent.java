package dev.grpcscale.autoconfigure.circuitbreaker;

import org.springframework.context.ApplicationEvent;

import dev.grpcscale.circuitbreaker.CircuitBreakerTransition;

/**
 * Published when a grpc-scale circuit breaker changes state (for example CLOSED to OPEN). Listen with
 * {@code @EventListener}.
 */
public class CircuitBreakerStateChangedEvent extends ApplicationEvent {

	private static final long serialVersionUID = 1L;

	private final transient CircuitBreakerTransition transition;

	/**
	 * Creates the event.
	 * @param source the breakers that changed
	 * @param transition the change
	 */
	public CircuitBreakerStateChangedEvent(Object source, CircuitBreakerTransition transition) {
		super(source);
		this.transition = transition;
	}

	/** The change: breaker name, kind, from and to states, when. */
	public CircuitBreakerTransition getTransition() {
		return this.transition;
	}

}
