package dev.grpcscale.autoconfigure.health;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import dev.grpcscale.health.HealthCheckListener;
import dev.grpcscale.health.InstanceHealth;

/**
 * Times every health probe in {@value #NAME}, tagged with the service and the outcome
 * ({@code serving} or {@code failed}).
 */
public class HealthProbeTimer implements HealthCheckListener {

	/** The timer's name. */
	public static final String NAME = "grpc.scale.health.probe";

	private final MeterRegistry registry;

	/**
	 * Creates the listener.
	 * @param registry where the timer lives
	 */
	public HealthProbeTimer(MeterRegistry registry) {
		this.registry = registry;
	}

	@Override
	public void onCheck(InstanceHealth health) {
		if (health.lastLatency() == null) {
			return;
		}
		Timer.builder(NAME)
			.description("Latency of grpc.health.v1.Health/Check probes of discovered instances")
			.tag("service", health.serviceName())
			.tag("outcome", health.lastCheckSucceeded() ? "serving" : "failed")
			.register(this.registry)
			.record(health.lastLatency().toNanos(), TimeUnit.NANOSECONDS);
	}

}
