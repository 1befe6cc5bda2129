package dev.grpcscale;

import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.circuitbreaker.CircuitBreakerMetrics;
import dev.grpcscale.circuitbreaker.CircuitBreakerOpenException;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.cluster.ClusterInfo;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeadershipListener;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.ServiceRegistry;
import dev.grpcscale.health.HealthCheckOptions;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;
import dev.grpcscale.metrics.OperationObservationConvention;
import dev.grpcscale.metrics.OperationTimers;
import dev.grpcscale.tracing.OperationObservations;
import dev.grpcscale.tracing.TracingStatusSource;

/**
 * The one entry point of grpc-scale: a thin facade over the discovery, health, circuit-breaking and (as
 * they are enabled) the other components, each of which can also be used on its own. Build it with {@link #builder()}; in a
 * Spring Boot application it is a bean configured from {@code grpc.scale.*}.
 *
 * <p>{@link #gracefulShutdown()} runs the first steps of grpc-scale's shutdown order: every served
 * service and {@code ""} turn {@code NOT_SERVING} in gRPC health, then every instance this manager
 * registered is deregistered, then leadership is resigned (the node leaves its cluster). Draining in-flight calls and closing backends follow, and belong to the
 * server's and the backends' owners.
 *
 * <p>Thread-safe.
 */
public class EnhancedServiceManager {

	private final LocalInstance localInstance;

	private final @Nullable ServiceDiscovery discovery;

	private final @Nullable HealthCheckingServiceDiscovery healthMonitor;

	private final @Nullable GrpcCircuitBreakers circuitBreakers;

	private final @Nullable LeaderElection leaderElection;

	private final @Nullable OperationObservations observations;

	private final @Nullable OperationTimers timers;

	private final @Nullable TracingStatusSource tracingStatus;

	/**
	 * Creates a manager from a builder's settings; subclasses call this with {@link #builder()}.
	 * @param builder the settings
	 */
	protected EnhancedServiceManager(Builder builder) {
		this.localInstance = (builder.localInstance != null) ? builder.localInstance
				: LocalInstance.builder()
					.serviceRegistry(builder.registry)
					.health(builder.healthStatusManager, builder.servedServices)
					.leaderElection(builder.leaderElection)
					.clock(builder.clock)
					.build();
		ServiceDiscovery source = builder.discovery;
		if (source != null && !(source instanceof HealthCheckingServiceDiscovery)) {
			source = HealthCheckingServiceDiscovery.builder(source).paused(true).build();
		}
		this.discovery = source;
		this.healthMonitor = (source instanceof HealthCheckingServiceDiscovery monitor) ? monitor : null;
		this.circuitBreakers = builder.circuitBreakers;
		this.tracingStatus = builder.tracingStatus;
		this.leaderElection = builder.leaderElection;
		this.observations = (builder.observationRegistry != null)
				? new OperationObservations(builder.observationRegistry, builder.observationConvention) : null;
		// the timer path only references Micrometer's core types when a registry was given (an optional dependency)
		this.timers = (builder.meterRegistry != null)
				? new OperationTimers(builder.meterRegistry, builder.observationConvention) : null;
	}

	/** Starts a builder; every component is optional. */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Registers an instance with discovery, as {@code UP}; it is deregistered when this instance stops
	 * (see {@link LocalInstance}).
	 * @param definition what to register
	 * @return the registered instance
	 * @throws IllegalStateException if discovery is not enabled or shutdown has started
	 * @throws dev.grpcscale.discovery.DiscoveryException if the backend refused it
	 */
	public ServiceInstance registerServiceWithDiscovery(ServiceDefinition definition) {
		return this.localInstance.register(definition);
	}

	/**
	 * Deregisters an instance.
	 * @param serviceName the service name
	 * @param instanceId the instance id
	 * @return whether an instance was removed
	 * @throws IllegalStateException if discovery is not enabled
	 */
	public boolean deregisterService(String serviceName, String instanceId) {
		return this.localInstance.deregister(serviceName, instanceId);
	}

	/**
	 * Deregisters an instance this manager registered.
	 * @param instance the instance
	 * @return whether an instance was removed
	 */
	public boolean deregisterService(ServiceInstance instance) {
		return deregisterService(instance.serviceName(), instance.instanceId());
	}

	/** The instances this application registered and has not deregistered, by service then instance id. */
	public List<ServiceInstance> getRegisteredServices() {
		return this.localInstance.registered();
	}

	/**
	 * Every service discovery knows, with all its instances whatever their status.
	 * @return service name to instances, sorted by name
	 * @throws IllegalStateException if discovery is not enabled
	 */
	public Map<String, List<ServiceInstance>> getAllServices() {
		ServiceDiscovery source = serviceDiscovery();
		Map<String, List<ServiceInstance>> result = new TreeMap<>();
		for (String name : source.getServiceNames()) {
			result.put(name, source.getAllInstances(name));
		}
		return result;
	}

	/**
	 * The available ({@code UP}) instances of a service, from the local discovery cache.
	 * @param serviceName the service name
	 * @return an immutable list, empty when none is available
	 * @throws IllegalStateException if discovery is not enabled
	 */
	public List<ServiceInstance> discoverServices(String serviceName) {
		return serviceDiscovery().getInstances(serviceName);
	}

	/**
	 * Follows a service's available instances; see {@link ServiceDiscovery#watch}.
	 * @param serviceName the service name
	 * @param listener called with the current list, then after every change
	 * @return a handle that stops the callbacks
	 * @throws IllegalStateException if discovery is not enabled
	 */
	public Subscription watchServiceChanges(String serviceName, Consumer<List<ServiceInstance>> listener) {
		return serviceDiscovery().watch(serviceName, listener);
	}

	/**
	 * The cluster as this node sees it: members, leader, whether this node leads, its own fencing token (to fence
	 * with; {@code 0} when not leading) and the highest token seen (monitoring only).
	 * @throws IllegalStateException if clustering is not enabled
	 */
	public ClusterInfo getClusterInfo() {
		return requireLeaderElection().clusterInfo();
	}

	/**
	 * Whether this node is the cluster leader now; see {@link LeaderElection#isLeader()}.
	 * @throws IllegalStateException if clustering is not enabled
	 */
	public boolean isLeader() {
		return requireLeaderElection().isLeader();
	}

	/**
	 * Follows this node's leadership; see {@link LeaderElection#addListener}.
	 * @param listener called on every grant, renewal and revocation
	 * @return a handle that removes the listener
	 * @throws IllegalStateException if clustering is not enabled
	 */
	public Subscription onLeadershipChange(LeadershipListener listener) {
		return requireLeaderElection().addListener(listener);
	}

	/**
	 * Runs an operation inside the circuit breaker named {@code operationName} (see
	 * {@link GrpcCircuitBreakers#execute}) and, with an observation registry, inside a
	 * {@code grpc.scale.operation} observation tagged with the operation's name (a span named after it, a
	 * child of the current span) whose {@code grpc.scale.outcome} is {@code success}, {@code error} or
	 * {@code rejected}; with a meter registry instead, inside a {@code grpc.scale.operation} timer with the
	 * same tags and no span (see {@link OperationTimers}). When the breaker does not permit the call, the
	 * operation is not invoked and {@link CircuitBreakerOpenException} is thrown. Without circuit breaking
	 * the operation simply runs.
	 * @param operation what to run
	 * @param operationName the breaker's name
	 * @param <T> the result type
	 * @param <E> the checked exception the operation may throw, inferred from a lambda's body:
	 * {@link RuntimeException} (nothing to catch) when it throws none
	 * @return what the operation returned
	 * @throws CircuitBreakerOpenException if the breaker did not permit the call
	 * @throws E what the operation threw, unchanged
	 */
	public <T, E extends Exception> T executeWithEnhancements(ThrowingSupplier<T, E> operation, String operationName)
			throws E {
		Objects.requireNonNull(operation, "operation");
		try {
			return executeWithEnhancements((Callable<T>) operation, operationName);
		}
		catch (Exception ex) {
			// the breaker and the observation rethrow what the operation threw unchanged: an E or unchecked
			throw EnhancedServiceManager.<E>rethrow(ex);
		}
	}

	/**
	 * Runs an operation as {@link #executeWithEnhancements(ThrowingSupplier, String)} does; kept for callers
	 * that hold a {@link Callable} (a lambda picks the {@link ThrowingSupplier} form, which needs no
	 * {@code catch (Exception)} when the operation throws no checked exception).
	 * @param operation what to run
	 * @param operationName the breaker's name
	 * @param <T> the result type
	 * @return what the operation returned
	 * @throws CircuitBreakerOpenException if the breaker did not permit the call
	 * @throws Exception what the operation threw, unchanged
	 */
	public <T> T executeWithEnhancements(Callable<T> operation, String operationName) throws Exception {
		Objects.requireNonNull(operation, "operation");
		Objects.requireNonNull(operationName, "operationName");
		GrpcCircuitBreakers breakers = this.circuitBreakers;
		OperationObservations observations = this.observations;
		OperationTimers timers = this.timers;
		if (observations == null && timers == null) {
			return (breakers != null) ? breakers.execute(operationName, operation) : operation.call();
		}
		Callable<T> guarded = (breakers != null) ? () -> breakers.execute(operationName, operation) : operation;
		return (timers != null) ? timers.record(operationName, guarded) : observations.observe(operationName, guarded);
	}

	/**
	 * Runs an asynchronous operation inside the circuit breaker named {@code operationName} (see
	 * {@link GrpcCircuitBreakers#executeAsync}) and, with an observation registry, inside an observation
	 * that ends when the returned stage completes (with a meter registry, a timer that stops then). When that breaker does not permit the call, the operation
	 * is not invoked and the returned stage fails with {@link CircuitBreakerOpenException}. Without circuit
	 * breaking the operation simply runs.
	 * @param operation supplies the stage
	 * @param operationName the breaker's name
	 * @param <T> the result type
	 * @return a stage completing as the operation's does
	 */
	public <T> CompletionStage<T> executeWithEnhancementsAsync(Supplier<? extends CompletionStage<T>> operation,
			String operationName) {
		Objects.requireNonNull(operation, "operation");
		Objects.requireNonNull(operationName, "operationName");
		if (this.timers != null) {
			return this.timers.recordAsync(operationName, () -> guardAsync(operation, operationName));
		}
		if (this.observations != null) {
			return this.observations.observeAsync(operationName, () -> guardAsync(operation, operationName));
		}
		return guardAsync(operation, operationName);
	}

	@SuppressWarnings("unchecked")
	private static <E extends Exception> E rethrow(Exception ex) throws E {
		throw (E) ex;
	}

	private <T> CompletionStage<T> guardAsync(Supplier<? extends CompletionStage<T>> operation, String operationName) {
		GrpcCircuitBreakers breakers = this.circuitBreakers;
		if (breakers != null) {
			return breakers.executeAsync(operationName, operation);
		}
		try {
			CompletionStage<T> stage = operation.get();
			return (stage != null) ? stage : CompletableFuture.failedFuture(
					new NullPointerException("Operation '" + operationName + "' returned no CompletionStage"));
		}
		catch (RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
	}

	/**
	 * The totals and the state of every circuit breaker; see {@link CircuitBreakerMetrics}.
	 * @return a snapshot
	 * @throws IllegalStateException if circuit breaking is not enabled
	 */
	public CircuitBreakerMetrics getCircuitBreakerMetrics() {
		if (this.circuitBreakers == null) {
			throw new IllegalStateException("Circuit breaking is not enabled: no GrpcCircuitBreakers configured");
		}
		return this.circuitBreakers.metrics();
	}

	/** The status of every enabled feature. */
	public EnhancedServiceStatus getEnhancedServiceStatus() {
		EnhancedServiceStatus.Discovery discoverySection = null;
		if (this.discovery != null) {
			ServiceDiscovery backend = (this.healthMonitor != null) ? this.healthMonitor.delegate() : this.discovery;
			discoverySection = new EnhancedServiceStatus.Discovery(backend.status(), backend.instanceCounts());
		}
		EnhancedServiceStatus.CircuitBreakers circuitBreakerSection = null;
		if (this.circuitBreakers != null) {
			circuitBreakerSection = new EnhancedServiceStatus.CircuitBreakers(this.circuitBreakers.states(),
					this.circuitBreakers.openCircuits());
		}
		ClusterInfo clusterSection = (this.leaderElection != null) ? this.leaderElection.clusterInfo() : null;
		HealthCheckingServiceDiscovery monitor = getHealthMonitor();
		EnhancedServiceStatus.Health healthSection = (monitor != null)
				? new EnhancedServiceStatus.Health(monitor.options(), monitor.snapshot(), monitor.panicServices()) : null;
		TracingStatusSource tracing = this.tracingStatus;
		return new EnhancedServiceStatus(getRegisteredServices(), discoverySection, clusterSection,
				circuitBreakerSection, healthSection, (tracing != null) ? tracing.tracingStatus() : null,
				isShuttingDown());
	}

	/**
	 * Starts (or resumes) health monitoring with these options: discovery reads go through a
	 * {@link HealthCheckingServiceDiscovery}, which probes the instances of the services read with
	 * {@link #discoverServices} or {@link #watchServiceChanges} and leaves out those that fail health
	 * checks ({@link #getAllServices} reports them {@code DOWN}). Monitoring that runs goes on with the new
	 * options. The {@code discovery} section of {@link #getEnhancedServiceStatus()} still counts the
	 * backend's instances; the {@code health} section has the probe results.
	 * @param options how to probe
	 * @return the health-checking discovery, the same object every time
	 * @throws IllegalStateException if discovery is not enabled
	 */
	public HealthCheckingServiceDiscovery startHealthMonitoring(HealthCheckOptions options) {
		Objects.requireNonNull(options, "options");
		HealthCheckingServiceDiscovery monitor = requireHealthMonitor();
		monitor.resume(options);
		return monitor;
	}

	/**
	 * Pauses health monitoring: probing stops and discovery reads show every instance the backend reports
	 * {@code UP}; the same channels and watches go on. {@link #startHealthMonitoring} resumes it.
	 * @return whether monitoring was running
	 */
	public boolean stopHealthMonitoring() {
		return this.healthMonitor != null && this.healthMonitor.pause();
	}

	/**
	 * The discovery this manager reads from, as one object that stays valid: the
	 * {@link HealthCheckingServiceDiscovery} over the backend, which leaves out unhealthy instances while
	 * health monitoring runs. Bind {@code discovery:///} channels to it
	 * ({@code DiscoveryNameResolverProvider.configure(builder, manager.serviceDiscovery())}).
	 * @throws IllegalStateException if discovery is not enabled
	 */
	public ServiceDiscovery serviceDiscovery() {
		if (this.discovery == null) {
			throw new IllegalStateException("Service discovery is not enabled: no ServiceDiscovery configured");
		}
		return this.discovery;
	}

	/** The health-checking discovery while health monitoring runs, or {@code null} when it does not. */
	public @Nullable HealthCheckingServiceDiscovery getHealthMonitor() {
		HealthCheckingServiceDiscovery monitor = this.healthMonitor;
		return (monitor != null && monitor.isRunning()) ? monitor : null;
	}

	/** This application's instance, whose lifecycle registration and cluster membership follow. */
	public LocalInstance localInstance() {
		return this.localInstance;
	}

	/** Whether {@link #gracefulShutdown()} has started. */
	public boolean isShuttingDown() {
		return this.localInstance.state() == LocalInstance.State.CLOSED;
	}

	/**
	 * Runs grpc-scale's part of the shutdown order, once ({@link LocalInstance#stop(boolean)} as the
	 * application closes): (1) gRPC health turns {@code NOT_SERVING} for {@code ""} and every served
	 * service, and stays so; (2) every instance registered through this application is deregistered; (3)
	 * leadership is resigned ({@link LeaderElection#leave()}). A step that fails is logged and the next
	 * still runs. Later calls do nothing.
	 */
	public void gracefulShutdown() {
		this.localInstance.stop(true);
	}

	private HealthCheckingServiceDiscovery requireHealthMonitor() {
		if (this.healthMonitor == null) {
			throw new IllegalStateException("Service discovery is not enabled: no ServiceDiscovery configured");
		}
		return this.healthMonitor;
	}

	private LeaderElection requireLeaderElection() {
		if (this.leaderElection == null) {
			throw new IllegalStateException("Clustering is not enabled: no LeaderElection configured");
		}
		return this.leaderElection;
	}

	/** Settings of an {@link EnhancedServiceManager}. */
	public static final class Builder {

		private @Nullable ServiceRegistry registry;

		private @Nullable ServiceDiscovery discovery;

		private @Nullable HealthStatusManager healthStatusManager;

		private Supplier<? extends Collection<String>> servedServices = List::of;

		private @Nullable GrpcCircuitBreakers circuitBreakers;

		private Clock clock = Clock.systemUTC();

		private @Nullable LeaderElection leaderElection;

		private @Nullable ObservationRegistry observationRegistry;

		private @Nullable OperationObservationConvention observationConvention;

		private @Nullable MeterRegistry meterRegistry;

		private @Nullable LocalInstance localInstance;

		private @Nullable TracingStatusSource tracingStatus;

		private Builder() {
		}

		/** Where {@link #registerServiceWithDiscovery} writes; none disables registration. */
		public Builder serviceRegistry(@Nullable ServiceRegistry registry) {
			this.registry = registry;
			return this;
		}

		/**
		 * Where discovery reads come from; none disables discovery. A
		 * {@link HealthCheckingServiceDiscovery} is used as it is and is what health monitoring pauses and
		 * resumes; any other discovery is wrapped in a paused one.
		 */
		public Builder serviceDiscovery(@Nullable ServiceDiscovery discovery) {
			this.discovery = discovery;
			return this;
		}

		/**
		 * The server's gRPC health, turned {@code NOT_SERVING} at shutdown, and the names of the services
		 * it serves.
		 */
		public Builder health(@Nullable HealthStatusManager healthStatusManager,
				Supplier<? extends Collection<String>> servedServices) {
			this.healthStatusManager = healthStatusManager;
			this.servedServices = Objects.requireNonNull(servedServices, "servedServices");
			return this;
		}

		/**
		 * The circuit breakers behind {@link #executeWithEnhancements} and {@link #getCircuitBreakerMetrics};
		 * none disables circuit breaking (operations then run unguarded).
		 */
		public Builder circuitBreakers(@Nullable GrpcCircuitBreakers circuitBreakers) {
			this.circuitBreakers = circuitBreakers;
			return this;
		}

		/** The clock for registration times; default the system UTC clock. */
		public Builder clock(Clock clock) {
			this.clock = Objects.requireNonNull(clock, "clock");
			return this;
		}

		/**
		 * The cluster this node belongs to; none disables clustering. The manager does not join or close it;
		 * {@link EnhancedServiceManager#gracefulShutdown()} makes it leave.
		 */
		public Builder leaderElection(@Nullable LeaderElection leaderElection) {
			this.leaderElection = leaderElection;
			return this;
		}

		/**
		 * This application's instance, which owns registration, gRPC health at shutdown and cluster
		 * membership. Default: one made from {@link #serviceRegistry}, {@link #health} and
		 * {@link #leaderElection}, which are then used for nothing else but reads.
		 */
		public Builder localInstance(@Nullable LocalInstance localInstance) {
			this.localInstance = localInstance;
			return this;
		}

		/**
		 * Where {@link #executeWithEnhancements} records a {@code grpc.scale.operation} observation (a span
		 * named after the operation with tracing, a timer tagged with it with metrics); none records nothing.
		 * Set this or {@link #meterRegistry}, not both.
		 */
		public Builder observationRegistry(@Nullable ObservationRegistry observationRegistry) {
			this.observationRegistry = observationRegistry;
			return this;
		}

		/**
		 * Where {@link #executeWithEnhancements} records a {@code grpc.scale.operation} timer directly, with
		 * the tags the observation path gives it and no observation ({@link OperationTimers}): the cheap path
		 * when no tracer observes operations. Needs {@code micrometer-core}. Set this or
		 * {@link #observationRegistry}, not both; none records nothing.
		 */
		public Builder meterRegistry(@Nullable MeterRegistry meterRegistry) {
			this.meterRegistry = meterRegistry;
			return this;
		}

		/**
		 * Names and tags the observations (or timers) of {@link #executeWithEnhancements}; {@code null} (the
		 * default) for {@link dev.grpcscale.metrics.DefaultOperationObservationConvention}.
		 */
		public Builder observationConvention(@Nullable OperationObservationConvention observationConvention) {
			this.observationConvention = observationConvention;
			return this;
		}

		/**
		 * What the {@code tracing} section of {@link EnhancedServiceManager#getEnhancedServiceStatus()} reports;
		 * none leaves the section {@code null}.
		 */
		public Builder tracingStatus(@Nullable TracingStatusSource tracingStatus) {
			this.tracingStatus = tracingStatus;
			return this;
		}

		/**
		 * Builds the manager.
		 * @throws IllegalStateException if both an observation registry and a meter registry were set (a run
		 * would be counted twice)
		 */
		public EnhancedServiceManager build() {
			if (this.observationRegistry != null && this.meterRegistry != null) {
				throw new IllegalStateException("meterRegistry: " + this.meterRegistry
						+ " (expected: null when an observationRegistry is set; a run is recorded by one of them)");
			}
			return new EnhancedServiceManager(this);
		}

	}

}
