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
import dev.grpcscale.tracing.TracingStatusSource;

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
 * @param tracing whether spans are recorded and exported, and how many, or {@code null} when no
 * {@link TracingStatusSource} was given (the Spring Boot starter always gives one)
 * @param shuttingDown whether {@link EnhancedServiceManager#gracefulShutdown()} has started
 */
public record EnhancedServiceStatus(List<ServiceInstance> services, @Nullable Discovery discovery,
		@Nullable ClusterInfo cluster, @Nullable CircuitBreakers circuitBreaker, @Nullable Health health,
		@Nullable Tracing tracing, boolean shuttingDown) {

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

	/**
	 * The tracing section.
	 *
	 * @param available whether the application has tracing at all (OpenTelemetry's SDK, as Spring Boot
	 * configures it); {@code false} makes every other field empty
	 * @param enabled whether spans are recorded: tracing is available and its sampling probability is above 0
	 * @param samplingProbability the share of new traces sampled, 0 to 1 ({@code grpc.scale.tracing.sampling-rate})
	 * @param exporterEndpoint where spans are exported (the OTLP endpoint), or {@code null} when no exporter is
	 * configured
	 * @param spansExported spans the exporters reported delivered since start, summed over exporters, or
	 * {@code null} when they are not counted
	 * @param spansDropped spans in exports the exporters reported failed since start (the batch span processor
	 * does not retry them, so they are lost), or {@code null} when they are not counted; spans the processor
	 * dropped because its queue was full never reach an exporter and are not in this count
	 */
	public record Tracing(boolean available, boolean enabled, double samplingProbability,
			@Nullable String exporterEndpoint, @Nullable Long spansExported, @Nullable Long spansDropped) {

		private static final Tracing UNAVAILABLE = new Tracing(false, false, 0, null, null, null);

		/** The section of an application without tracing. */
		public static Tracing unavailable() {
			return UNAVAILABLE;
		}

	}

}
