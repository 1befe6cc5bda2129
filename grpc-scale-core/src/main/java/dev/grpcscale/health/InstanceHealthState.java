package dev.grpcscale.health;

import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * What the probes of one instance said: {@code UP} until {@code retries} probes in a row failed, then
 * {@code DOWN} until one succeeds; the last probe's time, latency and error. A new instance starts {@code UP}
 * with no probe recorded.
 *
 * <p>Not thread-safe: its {@link ServiceHealthTracker} guards it with its lock.
 */
final class InstanceHealthState {

	private final ServiceInstance instance;

	private InstanceStatus status = InstanceStatus.UP;

	private int consecutiveFailures;

	private @Nullable Instant lastCheck;

	private @Nullable Duration lastLatency;

	private @Nullable String lastError;

	InstanceHealthState(ServiceInstance instance) {
		this.instance = instance;
	}

	/**
	 * Records a probe's result.
	 * @param error why it failed, {@code null} for a success
	 * @param at when it ended
	 * @param latency how long it took
	 * @param retries how many failures in a row mark the instance down
	 * @return whether the status changed ({@code UP} to {@code DOWN} or back)
	 */
	boolean record(@Nullable String error, Instant at, Duration latency, int retries) {
		this.lastCheck = at;
		this.lastLatency = latency;
		this.lastError = error;
		if (error == null) {
			this.consecutiveFailures = 0;
			if (this.status == InstanceStatus.DOWN) {
				this.status = InstanceStatus.UP;
				return true;
			}
			return false;
		}
		this.consecutiveFailures++;
		if (this.status == InstanceStatus.UP && this.consecutiveFailures >= retries) {
			this.status = InstanceStatus.DOWN;
			return true;
		}
		return false;
	}

	/** Whether probes marked the instance down. */
	boolean isDown() {
		return this.status == InstanceStatus.DOWN;
	}

	/** The current state as an immutable value. */
	InstanceHealth health() {
		return new InstanceHealth(this.instance.serviceName(), this.instance.instanceId(), this.instance.address(),
				this.status, this.consecutiveFailures, this.lastCheck, this.lastLatency, this.lastError);
	}

}
