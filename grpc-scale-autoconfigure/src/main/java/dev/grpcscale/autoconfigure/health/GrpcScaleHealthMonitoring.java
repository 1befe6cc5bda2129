package dev.grpcscale.autoconfigure.health;

import org.springframework.context.SmartLifecycle;

import dev.grpcscale.health.HealthCheckingServiceDiscovery;

/**
 * Resumes the {@link HealthCheckingServiceDiscovery} bean when the application starts and pauses it when
 * the application stops. While it runs, the instances of the services this application calls are probed,
 * and unhealthy ones leave {@code discoverServices} and the {@code discovery:///} channels; paused, every
 * instance the backend reports is used. The same bean stays in place throughout, so channels and watches
 * never move.
 */
public class GrpcScaleHealthMonitoring implements SmartLifecycle {

	private final HealthCheckingServiceDiscovery discovery;

	/**
	 * Creates the lifecycle.
	 * @param discovery the health-checking discovery to resume and pause
	 */
	public GrpcScaleHealthMonitoring(HealthCheckingServiceDiscovery discovery) {
		this.discovery = discovery;
	}

	@Override
	public void start() {
		this.discovery.resume();
	}

	@Override
	public void stop() {
		this.discovery.pause();
	}

	@Override
	public boolean isRunning() {
		return this.discovery.isRunning();
	}

	/** Stops after the gRPC server (whose phase is the highest), so probing goes on while it drains. */
	@Override
	public int getPhase() {
		return Integer.MAX_VALUE - 1000;
	}

}
