package dev.grpcscale;

import java.util.List;
import java.util.Set;
import java.util.Map;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.cluster.ClusterInfo;
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
 * @param cluster members, leader, whether this node leads, its own and the highest fencing token seen, or {@code null} without
 * clustering
 * @param circuitBreaker the circuit breakers and which of them are open, or {@code null} without circuit
 * breaking
 * @param health client-side health checks of the instances this application calls, or {@code null} when
 * health monitoring is not running
 * @param shuttingDown whether {@link EnhancedServiceManager#gracefulShutdown()} has started
 */
public record EnhancedServiceStatus(List<ServiceInstance> services, @Nullable Discovery discovery,
		@Nullable ClusterInfo cluster, @Nullable CircuitBreakers circuitBreaker, @Nullable Health health,
		boolean shuttingDown) {

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

	/**
	 * The circuit-breaker section.
	 *
	 * @param breakers the state of every breaker, by name
	 * @param openCircuits the breakers that do not let every call through ({@code OPEN},
	 * {@code HALF_OPEN}, {@code FORCED_OPEN}), sorted by name
	 */
	public record CircuitBreakers(Map<String, CircuitBreaker.State> breakers, List<String> openCircuits) {

		/** Copies the map and the list. */
		public CircuitBreakers {
			breakers = Map.copyOf(breakers);
			openCircuits = List.copyOf(openCircuits);
		}

	}

	/**
	 * The client-side health section.
	 *
	 * @param options how instances are probed
	 * @param instances the health of every probed instance, by service name then instance id
	 * @param panicServices the services in panic mode, whose instances are all used because too few pass
	 * their probes
	 */
	public record Health(HealthCheckOptions options, List<InstanceHealth> instances, Set<String> panicServices) {

		/** Copies the collections. */
		public Health {
			instances = List.copyOf(instances);
			panicServices = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(panicServices));
		}

	}

}
