package dev.grpcscale.autoconfigure.actuate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import dev.grpcscale.health.HealthCheckingServiceDiscovery;
import dev.grpcscale.health.InstanceHealth;

/**
 * Reports the client-side health checks of the instances this application calls: per service, each
 * probed instance with its status, consecutive failures and last latency. It stays {@code UP}: instances
 * that fail their checks are already out of load balancing, and this application is fine.
 */
public class InstanceHealthIndicator extends AbstractHealthIndicator {

	private final HealthCheckingServiceDiscovery monitor;

	/**
	 * Creates the indicator.
	 * @param monitor the health-checking discovery whose probes to report
	 */
	public InstanceHealthIndicator(HealthCheckingServiceDiscovery monitor) {
		super("Instance health check failed");
		this.monitor = monitor;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		HealthCheckingServiceDiscovery monitor = this.monitor;
		builder.up().withDetail("monitoring", monitor.isRunning());
		if (!monitor.isRunning()) {
			return;
		}
		Map<String, Map<String, Object>> services = new TreeMap<>();
		List<InstanceHealth> snapshot = monitor.snapshot();
		for (InstanceHealth health : snapshot) {
			Map<String, Object> instance = new LinkedHashMap<>();
			instance.put("address", health.address());
			instance.put("status", health.status().name());
			instance.put("consecutiveFailures", health.consecutiveFailures());
			if (health.lastLatency() != null) {
				instance.put("lastLatencyMs", health.lastLatency().toNanos() / 1e6);
			}
			if (health.lastError() != null) {
				instance.put("lastError", health.lastError());
			}
			services.computeIfAbsent(health.serviceName(), (name) -> new TreeMap<>()).put(health.instanceId(), instance);
		}
		builder.withDetail("services", services);
	}

}
