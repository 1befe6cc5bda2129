package dev.grpcscale;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
import dev.grpcscale.tracing.OperationObservations;

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

	private static final Logger logger = LoggerFactory.getLogger(EnhancedServiceManager.class);

	private final @Nullable ServiceRegistry registry;

	private final @Nullable ServiceDiscovery discovery;

	private final @Nullable HealthStatusManager healthStatusManager;

	private final Supplier<? extends Collection<String>> servedServices;

	private final @Nullable GrpcCircuitBreakers circuitBreakers;

	private final Clock clock;

	private final @Nullable LeaderElection leaderElection;

	private final @Nullable OperationObservations observations;

	private final Map<String, ServiceInstance> registered = new ConcurrentHashMap<>();

	private final AtomicBoolean shuttingDown = new AtomicBoolean();

	private final @Nullable Function<HealthCheckOptions, HealthCheckingServiceDiscovery> healthChecking;

	private final AtomicReference<@Nullable HealthCheckingServiceDiscovery> healthMonitor = new AtomicReference<>();

	private final SwitchableServiceDiscovery switchable = new SwitchableServiceDiscovery(this::requireDiscovery);

	/**
	 * Creates a manager from a builder's settings; subclasses call this with {@link #builder()}.
	 * @param builder the settings
	 */
	protected EnhancedServiceManager(Builder builder) {
		this.registry = builder.registry;
		this.discovery = builder.discovery;
		this.healthStatusManager = builder.healthStatusManager;
		this.servedServices = builder.servedServices;
		this.circuitBreakers = builder.circuitBreakers;
		this.clock = builder.clock;
		this.leaderElection = builder.leaderElection;
		this.observations = (builder.observationRegistry != null)
				? new OperationObservations(builder.observationRegistry) : null;
		this.healthChecking = (builder.healthChecking != null) ? builder.healthChecking
				: (this.discovery != null) ? healthCheckingOver(this.discovery) : null;
	}

	private static Function<HealthCheckOptions, HealthCheckingServiceDiscovery> healthCheckingOver(
			ServiceDiscovery discovery) {
		return (options) -> HealthCheckingServiceDiscovery.of(discovery, options);
	}

	/** Starts a builder; every component is optional. */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Registers an instance with discovery, as {@code UP}, and remembers it for deregistration at
	 * shutdown.
	 * @param definition what to register
	 * @return the registered instance
	 * @throws IllegalStateException if discovery is not enabled or shutdown has started
	 * @throws dev.grpcscale.discovery.DiscoveryException if the backend refused it
	 */
	public ServiceInstance registerServiceWithDiscovery(ServiceDefinition definition) {
		Objects.requireNonNull(definition, "definition");
		ServiceRegistry target = requireRegistry();
		if (this.shuttingDown.get()) {
			throw new IllegalStateException(
					"Cannot register '" + definition.name() + "': graceful shutdown has started");
		}
		ServiceInstance instance = definition.toInstance(this.clock.instant());
		target.register(instance);
		this.registered.put(key(instance.serviceName(), instance.instanceId()), instance);
		logger.info("Registered {} instance {} at {}", instance.serviceName(), instance.instanceId(),
				instance.address());
		return instance;
	}

	/**
	 * Deregisters an instance.
	 * @param serviceName the service name
	 * @param instanceId the instance id
	 * @return whether an instance was removed
	 * @throws IllegalStateException if discovery is not enabled
	 */
	public boolean deregisterService(String serviceName, String instanceId) {
		ServiceRegistry target = requireRegistry();
		this.registered.remove(key(serviceName, instanceId));
		boolean removed = target.deregister(serviceName, instanceId);
		if (removed) {
			logger.info("Deregistered {} instance {}", serviceName, instanceId);
		}
		return removed;
	}

	/**
	 * Deregisters an instance this manager registered.
	 * @param instance the instance
	 * @return whether an instance was removed
	 */
	public boolean deregisterService(ServiceInstance instance) {
		return deregisterService(instance.serviceName(), instance.instanceId());
	}

	/** The instances this manager registered and has not deregistered, by service then instance id. */
	public List<ServiceInstance> getRegisteredServices() {
		List<ServiceInstance> result = new ArrayList<>(this.registered.values());
		result.sort(java.util.Comparator.comparing(ServiceInstance::serviceName)
			.thenComparing(ServiceInstance::instanceId));
		return List.copyOf(result);
	}

	/**
	 * Every service discovery knows, with all its instances whatever their status.
	 * @return service name to instances, sorted by name
	 * @throws IllegalStateException if discovery is not enabled
	 */
	public Map<String, List<ServiceInstance>> getAllServices() {
		ServiceDiscovery source = requireDiscovery();
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
		return requireDiscovery().getInstances(serviceName);
	}

	/**
	 * Follows a service's available instances; see {@link ServiceDiscovery#watch}.
	 * @param serviceName the service name
	 * @param listener called with the current list, then after every change
	 * @return a handle that stops the callbacks
	 * @throws IllegalStateException if discovery is not enabled
	 */
	public Subscription watchServiceChanges(String serviceName, Consumer<List<ServiceInstance>> listener) {
		return this.switchable.watch(serviceName, listener);
	}

	/**
	 * The cluster as this node sees it: members, leader, whether this node leads, fencing token.
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
	 * {@link GrpcCircuitBreakers#execute}) and, with an observation registry, inside an observation (a
	 * span) of the same name, a child of the current span, whose {@code grpc.scale.outcome} is
	 * {@code success}, {@code error} or {@code rejected}. When the breaker does not permit the call, the
	 * operation is not invoked and {@link CircuitBreakerOpenException} is thrown. Without circuit breaking
	 * the operation simply runs.
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
		if (observations == null) {
			return (breakers != null) ? breakers.execute(operationName, operation) : operation.call();
		}
		Callable<T> guarded = (breakers != null) ? () -> breakers.execute(operationName, operation) : operation;
		return observations.observe(operationName, guarded);
	}

	/**
	 * Runs an asynchronous operation inside the circuit breaker named {@code operationName} (see
	 * {@link GrpcCircuitBreakers#executeAsync}) and, with an observation registry, inside an observation
	 * that ends when the returned stage completes. When that breaker does not permit the call, the operation
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
		if (this.observations != null) {
			return this.observations.observeAsync(operationName, () -> guardAsync(operation, operationName));
		}
		return guardAsync(operation, operationName);
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
			Map<String, Integer> counts = new TreeMap<>();
			for (String name : this.discovery.getServiceNames()) {
				counts.put(name, this.discovery.getInstances(name).size());
			}
			discoverySection = new EnhancedServiceStatus.Discovery(this.discovery.status(), counts);
		}
		EnhancedServiceStatus.CircuitBreakers circuitBreakerSection = null;
		if (this.circuitBreakers != null) {
			circuitBreakerSection = new EnhancedServiceStatus.CircuitBreakers(this.circuitBreakers.states(),
					this.circuitBreakers.openCircuits());
		}
		ClusterInfo clusterSection = (this.leaderElection != null) ? this.leaderElection.clusterInfo() : null;
		HealthCheckingServiceDiscovery monitor = this.healthMonitor.get();
		EnhancedServiceStatus.Health healthSection = (monitor != null)
				? new EnhancedServiceStatus.Health(monitor.options(), monitor.snapshot()) : null;
		return new EnhancedServiceStatus(getRegisteredServices(), discoverySection, clusterSection,
				circuitBreakerSection, healthSection, this.shuttingDown.get());
	}

	/**
	 * Starts health monitoring: from now on discovery reads go through a {@link HealthCheckingServiceDiscovery},
	 * which probes the instances of the services read with {@link #discoverServices} or
	 * {@link #watchServiceChanges} and leaves out those that fail health checks ({@link #getAllServices}
	 * reports them {@code DOWN}). A monitor already running is stopped first and replaced. The
	 * {@code discovery} section of {@link #getEnhancedServiceStatus()} still counts the plain discovery's
	 * instances; the {@code health} section has the probe results.
	 * @param options how to probe
	 * @return the running health-checking discovery, for example to bind {@code discovery:///} channels to
	 * @throws IllegalStateException if neither discovery nor a health-checking factory is configured
	 */
	public HealthCheckingServiceDiscovery startHealthMonitoring(HealthCheckOptions options) {
		Objects.requireNonNull(options, "options");
		if (this.healthChecking == null) {
			throw new IllegalStateException("Service discovery is not enabled: no ServiceDiscovery configured");
		}
		HealthCheckingServiceDiscovery monitor = this.healthChecking.apply(options);
		HealthCheckingServiceDiscovery previous = this.healthMonitor.getAndSet(monitor);
		this.switchable.switched();
		if (previous != null) {
			previous.close();
		}
		logger.info("Health monitoring started: every {}, timeout {}, {} retries, endpoint '{}'", options.interval(),
				options.timeout(), options.retries(), options.endpoint());
		return monitor;
	}

	/**
	 * Stops health monitoring, closing the health-checking discovery (its watches stop); reads go to the
	 * plain discovery again.
	 * @return whether monitoring was running
	 */
	public boolean stopHealthMonitoring() {
		HealthCheckingServiceDiscovery previous = this.healthMonitor.getAndSet(null);
		if (previous == null) {
			return false;
		}
		this.switchable.switched();
		previous.close();
		logger.info("Health monitoring stopped");
		return true;
	}

	/**
	 * The discovery this manager reads from, as one object that stays valid: the backend, or while health
	 * monitoring runs the health-checking discovery over it. Its watches move over when monitoring is
	 * started or stopped, so bind {@code discovery:///} channels to it
	 * ({@code DiscoveryNameResolverProvider.configure(builder, manager.serviceDiscovery())}) and they leave
	 * out unhealthy instances whenever monitoring runs. Its methods throw {@link IllegalStateException}
	 * when discovery is not enabled.
	 */
	public ServiceDiscovery serviceDiscovery() {
		return this.switchable;
	}

	/** The running health-checking discovery, or {@code null} when health monitoring is not running. */
	public @Nullable HealthCheckingServiceDiscovery getHealthMonitor() {
		return this.healthMonitor.get();
	}

	/** Whether {@link #gracefulShutdown()} has started. */
	public boolean isShuttingDown() {
		return this.shuttingDown.get();
	}

	/**
	 * Runs grpc-scale's part of the shutdown order, once: (1) gRPC health turns {@code NOT_SERVING} for
	 * {@code ""} and every served service, and stays so; (2) every instance this manager registered is
	 * deregistered; (3) leadership is resigned ({@link LeaderElection#leave()}). A step that fails is logged and the next still runs. Later calls do nothing.
	 */
	public void gracefulShutdown() {
		if (!this.shuttingDown.compareAndSet(false, true)) {
			return;
		}
		logger.info("grpc-scale graceful shutdown: health NOT_SERVING, deregistration, then leadership resignation");
		markNotServing();
		deregisterAll();
		leaveCluster();
	}

	private void leaveCluster() {
		if (this.leaderElection == null) {
			return;
		}
		try {
			this.leaderElection.leave();
		}
		catch (RuntimeException ex) {
			logger.warn("Could not resign leadership", ex);
		}
	}

	private void markNotServing() {
		HealthStatusManager health = this.healthStatusManager;
		if (health == null) {
			return;
		}
		try {
			health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
			for (String service : this.servedServices.get()) {
				health.setStatus(service, ServingStatus.NOT_SERVING);
			}
			// Keeps every status NOT_SERVING even if something (Boot's health scheduler) sets it again.
			health.enterTerminalState();
		}
		catch (RuntimeException ex) {
			logger.warn("Could not set gRPC health to NOT_SERVING", ex);
		}
	}

	private void deregisterAll() {
		if (this.registry == null) {
			return;
		}
		for (ServiceInstance instance : getRegisteredServices()) {
			try {
				deregisterService(instance);
			}
			catch (RuntimeException ex) {
				logger.warn("Could not deregister {} instance {}", instance.serviceName(), instance.instanceId(),
						ex);
			}
		}
	}

	private LeaderElection requireLeaderElection() {
		if (this.leaderElection == null) {
			throw new IllegalStateException("Clustering is not enabled: no LeaderElection configured");
		}
		return this.leaderElection;
	}

	private ServiceRegistry requireRegistry() {
		if (this.registry == null) {
			throw new IllegalStateException("Service discovery is not enabled: no ServiceRegistry configured");
		}
		return this.registry;
	}

	private ServiceDiscovery requireDiscovery() {
		HealthCheckingServiceDiscovery monitor = this.healthMonitor.get();
		if (monitor != null) {
			return monitor;
		}
		if (this.discovery == null) {
			throw new IllegalStateException("Service discovery is not enabled: no ServiceDiscovery configured");
		}
		return this.discovery;
	}

	private static String key(String serviceName, String instanceId) {
		return serviceName + '/' + instanceId;
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

		private @Nullable Function<HealthCheckOptions, HealthCheckingServiceDiscovery> healthChecking;

		private Builder() {
		}

		/** Where {@link #registerServiceWithDiscovery} writes; none disables registration. */
		public Builder serviceRegistry(@Nullable ServiceRegistry registry) {
			this.registry = registry;
			return this;
		}

		/** Where discovery reads come from; none disables discovery. */
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
		 * Makes the health-checking discovery {@link #startHealthMonitoring} starts, from its options.
		 * Default: {@link HealthCheckingServiceDiscovery#of} over the {@link #serviceDiscovery} (none without
		 * discovery).
		 */
		public Builder healthChecking(
				@Nullable Function<HealthCheckOptions, HealthCheckingServiceDiscovery> healthChecking) {
			this.healthChecking = healthChecking;
			return this;
		}

		/**
		 * Where {@link #executeWithEnhancements} records an observation (a span with tracing) named after
		 * each operation; none records nothing.
		 */
		public Builder observationRegistry(@Nullable ObservationRegistry observationRegistry) {
			this.observationRegistry = observationRegistry;
			return this;
		}

		/** Builds the manager. */
		public EnhancedServiceManager build() {
			return new EnhancedServiceManager(this);
		}

	}

}
