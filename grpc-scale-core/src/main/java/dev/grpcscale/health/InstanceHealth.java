package dev.grpcscale.health;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.discovery.InstanceStatus;

/**
 * What the health checker knows of one probed instance, as returned by
 * {@link HealthCheckingServiceDiscovery#snapshot()} and handed to {@link HealthCheckListener}s. Immutable.
 *
 * <p>An instance starts {@link InstanceStatus#UP} when discovered, before any probe: the delegate discovery
 * already reports it available, and one failed probe alone never takes it out.
 *
 * @param serviceName the service name
 * @param instanceId the instance id
 * @param address {@code host:port} probed
 * @param status {@link InstanceStatus#DOWN} after {@code retries} consecutive failed probes, until one
 * succeeds
 * @param consecutiveFailures failed probes since the last successful one
 * @param lastCheck when the last probe ended, or {@code null} before the first one ended
 * @param lastLatency how long the last probe took, or {@code null} before the first one ended
 * @param lastError why the last probe failed (a gRPC status such as {@code DEADLINE_EXCEEDED: ...} or a
 * serving status such as {@code NOT_SERVING}), or {@code null} if it succeeded or none ended yet
 */
public record InstanceHealth(String serviceName, String instanceId, String address, InstanceStatus status,
		int consecutiveFailures, @Nullable Instant lastCheck, @Nullable Duration lastLatency,
		@Nullable String lastError) {

	/** Checks the arguments. */
	public InstanceHealth {
		Objects.requireNonNull(serviceName, "serviceName");
		Objects.requireNonNull(instanceId, "instanceId");
		Objects.requireNonNull(address, "address");
		Objects.requireNonNull(status, "status");
		if (consecutiveFailures < 0) {
			throw new IllegalArgumentException("consecutiveFailures: " + consecutiveFailures + " (expected: >= 0)");
		}
	}

	/** Whether the instance is {@link InstanceStatus#UP}. */
	public boolean isUp() {
		return this.status == InstanceStatus.UP;
	}

	/** Whether a probe ended and the last one succeeded. */
	public boolean lastCheckSucceeded() {
		return this.lastCheck != null && this.lastError == null;
	}

}
