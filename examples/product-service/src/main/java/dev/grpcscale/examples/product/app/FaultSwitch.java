package dev.grpcscale.examples.product.app;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Makes this instance answer {@code UNAVAILABLE}, as a broken dependency or an overloaded node would:
 * the demo turns it on to show a circuit breaker taking the instance out of load balancing.
 */
public class FaultSwitch {

	private final AtomicBoolean failing = new AtomicBoolean();

	/** Whether calls fail now. */
	public boolean isFailing() {
		return this.failing.get();
	}

	/** Turns failing on or off. */
	public void setFailing(boolean failing) {
		this.failing.set(failing);
	}

}
