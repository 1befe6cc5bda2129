package dev.grpcscale;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.cluster.ClusterInfo;
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * A snapshot of what grpc-scale does in this application, as served by
 * {@link EnhancedServiceManager#getEnhancedServiceStatus()} and the {@code grpcscale} Actuator endpoint.
 * A section is {@code null} when its feature is not enabled.
 *
 * @param services the instances this application registered
 * @param discovery the discovery backend and the number of available ({@code UP}) instances of each
 * known service, or {@code null} without discovery
 * @param cluster members, leader, whether this node leads and the fencing token, or {@code null} without
 * clustering
 * @param shuttingDown whether {@link EnhancedServiceManager#gracefulShutdown()} has started
 */
public record EnhancedServiceStatus(List<ServiceInstance> services, @Nullable Discovery discovery,
		@Nullable ClusterInfo cluster, boolean shuttingDown) {

	/** Copies the list. */
	public EnhancedServiceStatus {
		services = List.copyOf(services);
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

}
