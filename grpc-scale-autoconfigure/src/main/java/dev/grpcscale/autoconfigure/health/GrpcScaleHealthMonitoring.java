package dev.grpcscale.autoconfigure.health;

import java.util.List;

import org.springframework.context.SmartLifecycle;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.health.HealthCheckListener;
import dev.grpcscale.health.HealthCheckOptions;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;

/**
 * Starts {@link EnhancedServiceManager#startHealthMonitoring health monitoring} with the application and
 * stops it when the application stops. While it runs, the instances of the services this application
 * calls are probed, and unhealthy ones leave {@code discoverServices} and the {@code discovery:///}
 * channels. Every {@link HealthCheckListener} bean is told of each probe and status change.
 */
public class GrpcScaleHealthMonitoring implements SmartLifecycle {

	private final EnhancedServiceManager manager;

	private final HealthCheckOptions options;

	private final List<HealthCheckListener> listeners;

	private volatile boolean running;

	/**
	 * Creates the lifecycle.
	 * @param manager the manager whose monitoring to run
	 * @param options how to probe
	 * @param listeners told of every probe and status change
	 */
	public GrpcScaleHealthMonitoring(EnhancedServiceManager manager, HealthCheckOptions options,
			List<HealthCheckListener> listeners) {
		this.manager = manager;
		this.options = options;
		this.listeners = List.copyOf(listeners);
	}

	@Override
	public void start() {
		HealthCheckingServiceDiscovery monitor = this.manager.startHealthMonitoring(this.options);
		this.listeners.forEach(monitor::addListener);
		this.running = true;
	}

	@Override
	public void stop() {
		this.running = false;
		this.manager.stopHealthMonitoring();
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/** Stops after the gRPC server (whose phase is the highest), so probing goes on while it drains. */
	@Override
	public int getPhase() {
		return Integer.MAX_VALUE - 1000;
	}

}
