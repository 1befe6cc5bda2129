package dev.grpcscale;

/**
 * A handle on a listener registration (a discovery watch, a leadership listener). Cancelling it stops
 * further callbacks; a callback already running may still complete. Cancelling twice is harmless.
 */
@FunctionalInterface
public interface Subscription extends AutoCloseable {

	/** Stops further callbacks. Idempotent; never throws. */
	void cancel();

	/** Same as {@link #cancel()}, so a subscription can be used in try-with-resources. */
	@Override
	default void close() {
		cancel();
	}

}
