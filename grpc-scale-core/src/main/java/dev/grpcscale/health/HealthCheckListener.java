package dev.grpcscale.health;

/**
 * Receives health-check events of a {@link HealthCheckingServiceDiscovery}; register one with
 * {@link HealthCheckingServiceDiscovery#addListener(HealthCheckListener)}. Both methods do nothing by
 * default, so implement only what you need: {@link #onCheck} feeds a latency timer (the Spring layer
 * attaches a Micrometer timer there), {@link #onStatusChange} follows instances going down and up.
 *
 * <p>Called on a health-check scheduler thread, after the state changed, outside any lock; a listener
 * may read the discovery. It must be quick: a slow listener delays other probes' bookkeeping. A listener
 * that throws is logged and kept, and never breaks the prober.
 */
public interface HealthCheckListener {

	/**
	 * Called after every probe that ended (never for a probe cancelled because its instance left or the
	 * checker closed).
	 * @param health the instance's state after this probe: {@link InstanceHealth#lastLatency()} is the
	 * probe's duration, {@link InstanceHealth#lastError()} is {@code null} when it succeeded
	 */
	default void onCheck(InstanceHealth health) {
	}

	/**
	 * Called when an instance is marked down or back up, after {@link #onCheck} for the probe that caused
	 * it and after watchers received the new instance list.
	 * @param health the instance's state, {@link InstanceHealth#status()} being the new status
	 */
	default void onStatusChange(InstanceHealth health) {
	}

}
