package dev.grpcscale;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.health.HealthCheckOptions;
import dev.grpcscale.health.InstanceHealth;

/**
 * A snapshot of what grpc-scale does in this application, as served by
 * {@link EnhancedServiceManager#getEnhancedServiceStatus()} and the {@code grpcscale} Actuator endpoint.
 * A section is {@code null} when its feature is not enabled.
 *
 * @param services the instances this application registered
 * @param discovery the discovery backend and the number of available ({@code UP}) instances of each
 * known service, or {@code null} without discovery
 * @param shuttingDown whether {@link EnhancedServiceManager#gracefulShutdown()} has started
 * @param health client-side health checks of the instances this application calls, or {@code null} when
 * health monitoring is not running
 */
public record EnhancedServiceStatus(List<ServiceInstance> services, @Nullable Discovery discovery,
		boolean shuttingDown, @Nullable Health health) {

	/** Copies the list. */
	public EnhancedServiceStatus {
		services = List.copyOf(services);
	}

	/** A status without a health section. */
	public EnhancedServiceStatus(List<ServiceInstance> services, @Nullable Discovery discovery,
			boolean shuttingDown) {
		this(services, discovery, shuttingDown, null);
	}

	/**
	 * The discovery section.
	 *
	 * @param backend the backend's state
	 * @param instances available instances per known service name
	 */
	public record Discovery(DiscoveryStatus backend, Map<String, Integer> instances) {

		/** Copies the map. */
		public Discovery {
			instances = Map.copyOf(instances);
		}

	}

	/**
	 * The client-side health section.
	 *
	 * @param options how instances are probed
	 * @param instances the health of every probed instance, by service name then instance id
	 */
	public record Health(HealthCheckOptions options, List<InstanceHealth> instances) {

		/** Copies the list. */
		public Health {
			instances = List.copyOf(instances);
		}

	}

}
