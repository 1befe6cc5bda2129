package dev.grpcscale.circuitbreaker;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolver;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;

/**
 * The circuit breakers of an application: one per target service, one per discovered instance and one per
 * operation, kept in a resilience4j {@link CircuitBreakerRegistry} and configured with resilience4j
 * {@link CircuitBreakerConfig}s (defaults, and configurations by name), which
 * {@link CircuitBreakerSettings#toConfig()} writes in the seed's words.
 *
 * <pre>{@code
 * GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
 *     .defaults(CircuitBreakerSettings.builder().failureThreshold(5).build())
 *     .override("payment-service", CircuitBreakerSettings.builder().failureThreshold(10).build())
 *     .build();
 * CircuitBreakerLoadBalancerProvider.registerDefault();
 * ManagedChannel channel = breakers.configure(DiscoveryNameResolverProvider.configure(
 *         ManagedChannelBuilder.forTarget("discovery:///payment-service").usePlaintext(), discovery))
 *     .build();
 * String answer = breakers.execute("load-prices", () -> prices.load());
 * }</pre>
 *
 * <p><b>Names and configurations.</b> A service breaker is named after the service, an instance breaker
 * {@code <service>/<instanceId>} ({@link #instanceBreakerName}), an operation breaker after the
 * operation. One rule ({@link #config(String)}) gives a breaker its configuration: the one of its own
 * name, else, for an instance breaker, the one of its service's name, else the defaults. A configuration
 * of a name is an {@link Builder#override override} given to the builder or, failing that, a
 * configuration of that name in the registry ({@link CircuitBreakerRegistry#addConfiguration}, or
 * resilience4j's Spring Boot {@code resilience4j.circuitbreaker.configs.<name>}); the registry's
 * {@code default} configuration is not one of them, since the defaults are the builder's.
 *
 * <p><b>resilience4j.</b> Each breaker is a resilience4j {@code CircuitBreaker} created in the registry
 * with its configuration, given this object's clock (for both the window and the open state's wait) and,
 * when the configuration carries {@link CircuitBreakerSettings#FAILURE_COUNT_RULE}, that rule bound to the
 * breaker through resilience4j's {@code transitionOnResult} hook. What counts as a failure is the
 * configuration's: its record and ignore exception predicates, given a {@code StatusRuntimeException} for a
 * gRPC call's status. A breaker that the given registry already holds under a name is used as it is, with
 * its own configuration. The registry can be bound to Micrometer with resilience4j-micrometer.
 *
 * <p><b>Counts.</b> Besides resilience4j's windowed metrics, each breaker counts since its creation the
 * calls that went through grpc-scale (the interceptor, the load balancer, {@link #execute}); see
 * {@link #metrics()}. Calls made directly on the resilience4j breaker are in its window but not in these
 * counts.
 *
 * <p><b>Retention of instance breakers.</b> Instance ids are new on every restart of a downstream
 * instance, so instance breakers are not kept for ever: an instance breaker is held while a channel balances
 * over its instance (the {@code grpc_scale_round_robin} policy holds it from the first subchannel of the
 * instance to the last one's shutdown, that is until the instance leaves discovery or the channel shuts
 * down), and kept for {@link Builder#instanceRetention(Duration) instanceRetention} (default
 * {@value #DEFAULT_INSTANCE_RETENTION_MINUTES} minutes) after the last holder let it go, so an instance that
 * flaps back within that time finds its breaker as it left it. Past it, the breaker is removed from this
 * object and from the registry, whose {@code entryRemoved} event makes resilience4j-micrometer remove its
 * meters; an instance that comes back later gets a fresh breaker. An instance breaker only ever asked for
 * through {@link #instanceBreaker} is retained for that time after its last such call. Expired breakers are
 * removed on the next breaker created or let go, on the channel's timer once the retention has passed, or
 * by {@link #removeExpiredInstanceBreakers()}. Service and operation breakers are never removed.
 *
 * <p>Thread-safe. Nothing is started, so there is nothing to close.
 */
public final class GrpcCircuitBreakers {

	/**
	 * The name-resolver argument through which a channel's {@code grpc_scale_round_robin} load balancer
	 * finds its breakers; set by {@link #configure(ManagedChannelBuilder)}.
	 */
	public static final NameResolver.Args.Key<GrpcCircuitBreakers> NAME_RESOLVER_ARG = NameResolver.Args.Key
		.create("dev.grpcscale.circuitBreakers");

	/**
	 * The resilience4j tag ({@link CircuitBreaker#getTags()}) each breaker created here carries: its
	 * {@link CircuitBreakerKind} in lower case ({@code service}, {@code instance}, {@code operation}), so
	 * that a registry listener tells grpc-scale's breakers from others and their kinds apart.
	 */
	public static final String KIND_TAG = "grpc.scale.kind";

	/** The default {@link Builder#instanceRetention(Duration)}, in minutes. */
	public static final long DEFAULT_INSTANCE_RETENTION_MINUTES = 5;

	private static final Logger logger = LoggerFactory.getLogger(GrpcCircuitBreakers.class);

	private final CircuitBreakerRegistry registry;

	private final CircuitBreakerConfig defaults;

	private final Map<String, CircuitBreakerConfig> overrides;

	private final Clock clock;

	private final Map<String, BreakerEntry> entries = new ConcurrentHashMap<>();

	private final InstanceBreakerRetention retention;

	private final List<CircuitBreakerListener> listeners = new CopyOnWriteArrayList<>();

	private GrpcCircuitBreakers(Builder builder) {
		this.registry = (builder.registry != null) ? builder.registry : CircuitBreakerRegistry.ofDefaults();
		this.defaults = builder.defaults;
		this.overrides = Map.copyOf(builder.overrides);
		this.clock = builder.clock;
		this.retention = new InstanceBreakerRetention(this.entries, this.registry, this.clock,
				builder.instanceRetention, (name) -> create(name, CircuitBreakerKind.INSTANCE));
		this.listeners.addAll(builder.listeners);
	}

	/** Starts a builder: default settings, a registry of its own, the system UTC clock. */
	public static Builder builder() {
		return new Builder();
	}

	/** Breakers with the default settings, in a registry of their own. */
	public static GrpcCircuitBreakers ofDefaults() {
		return builder().build();
	}

	/**
	 * The name of an instance's breaker.
	 * @param serviceName the service
	 * @param instanceId the instance
	 * @return {@code <serviceName>/<instanceId>}
	 */
	public static String instanceBreakerName(String serviceName, String instanceId) {
		return serviceName + '/' + instanceId;
	}

	/**
	 * The breaker of a target service, created on first use.
	 * @param serviceName the service
	 * @return the breaker named {@code serviceName}
	 */
	public CircuitBreaker serviceBreaker(String serviceName) {
		return entry(serviceName, CircuitBreakerKind.SERVICE).breaker;
	}

	/**
	 * The breaker of one instance of a service, created on first use.
	 * @param serviceName the service
	 * @param instanceId the instance
	 * @return the breaker named {@code <serviceName>/<instanceId>}
	 */
	public CircuitBreaker instanceBreaker(String serviceName, String instanceId) {
		return entry(instanceBreakerName(serviceName, instanceId), CircuitBreakerKind.INSTANCE).breaker;
	}

	/**
	 * The breaker of an operation, created on first use.
	 * @param operationName the operation
	 * @return the breaker named {@code operationName}
	 */
	public CircuitBreaker operationBreaker(String operationName) {
		return entry(operationName, CircuitBreakerKind.OPERATION).breaker;
	}

	/**
	 * The configuration a breaker of this name gets: the configuration of its name, else, for an instance
	 * breaker ({@code <service>/<id>}), that of its service's name, else the defaults. The configuration of a
	 * name is the builder's override of that name, else the registry's configuration of that name (never
	 * the registry's {@code default}).
	 * @param name a breaker name
	 * @return its configuration, without the clock and failure count hook the breaker adds
	 */
	public CircuitBreakerConfig config(String name) {
		Optional<CircuitBreakerConfig> own = named(name);
		if (own.isPresent()) {
			return own.get();
		}
		int slash = name.indexOf('/');
		if (slash > 0) {
			Optional<CircuitBreakerConfig> service = named(name.substring(0, slash));
			if (service.isPresent()) {
				return service.get();
			}
		}
		return this.defaults;
	}

	private Optional<CircuitBreakerConfig> named(String name) {
		CircuitBreakerConfig override = this.overrides.get(name);
		if (override != null) {
			return Optional.of(override);
		}
		return "default".equals(name) ? Optional.empty() : this.registry.getConfiguration(name);
	}

	/** The configuration of every breaker without one of its own name (or its service's). */
	public CircuitBreakerConfig defaults() {
		return this.defaults;
	}

	/** The resilience4j registry holding the breakers. */
	public CircuitBreakerRegistry registry() {
		return this.registry;
	}

	/** The clock the breakers read time from. */
	public Clock clock() {
		return this.clock;
	}

	/**
	 * How long an instance breaker no channel holds any more is kept before it is removed (see the class
	 * description).
	 */
	public Duration instanceRetention() {
		return this.retention.retention();
	}

	/**
	 * Removes now the instance breakers that no channel has held for {@link #instanceRetention()}, from this
	 * object and from the registry (which removes their resilience4j-micrometer meters). This also happens
	 * on its own; see the class description.
	 * @return how many breakers were removed
	 */
	public int removeExpiredInstanceBreakers() {
		return this.retention.removeExpired();
	}

	/**
	 * Holds the breaker of an instance for a channel balancing over it: it is not removed until every
	 * holder {@link #release released} it and the retention has passed.
	 */
	BreakerEntry hold(String name) {
		return this.retention.hold(name);
	}

	/** The entry of a breaker name if there is one; creates nothing. */
	@Nullable BreakerEntry existing(String name) {
		return this.entries.get(name);
	}

	/** Lets go of an instance breaker held by {@link #hold}; it is retained from now on. */
	void release(BreakerEntry held) {
		this.retention.release(held);
	}

	/**
	 * Runs an operation inside the breaker named {@code operationName}: when the breaker does not permit
	 * the call, the operation is not invoked. Otherwise its outcome is recorded: a result is a success, an
	 * exception a failure when {@link CircuitBreakerSettings#isFailure(Throwable)} says so (a success
	 * otherwise), a {@link CancellationException} is not counted.
	 * @param operationName the breaker's name
	 * @param operation what to run
	 * @param <T> the result type
	 * @return what the operation returned
	 * @throws CircuitBreakerOpenException if the breaker did not permit the call
	 * @throws Exception what the operation threw, unchanged
	 */
	public <T> T execute(String operationName, Callable<T> operation) throws Exception {
		Objects.requireNonNull(operation, "operation");
		BreakerEntry entry = entry(operationName, CircuitBreakerKind.OPERATION);
		entry.acquireOrThrow();
		long start = entry.now();
		try {
			T result = operation.call();
			entry.recordSuccess(start);
			return result;
		}
		catch (Throwable ex) {
			entry.recordThrowable(start, ex);
			throw ex;
		}
	}

	/**
	 * Runs an asynchronous operation inside the breaker named {@code operationName}, recording its
	 * outcome when the stage completes (as {@link #execute} does). When the breaker does not permit the
	 * call, the supplier is not invoked and the returned stage fails with
	 * {@link CircuitBreakerOpenException}; this method itself does not throw it.
	 * @param operationName the breaker's name
	 * @param operation supplies the stage; an exception it throws, or a {@code null} stage, fails the call
	 * @param <T> the result type
	 * @return a stage completing as the operation's does
	 */
	public <T> CompletionStage<T> executeAsync(String operationName,
			Supplier<? extends CompletionStage<T>> operation) {
		Objects.requireNonNull(operation, "operation");
		BreakerEntry entry = entry(operationName, CircuitBreakerKind.OPERATION);
		try {
			entry.acquireOrThrow();
		}
		catch (CircuitBreakerOpenException ex) {
			return CompletableFuture.failedFuture(ex);
		}
		long start = entry.now();
		CompletionStage<T> stage;
		try {
			stage = operation.get();
			if (stage == null) {
				throw new NullPointerException("Operation '" + operationName + "' returned no CompletionStage");
			}
		}
		catch (Throwable ex) {
			entry.recordThrowable(start, ex);
			return CompletableFuture.failedFuture(ex);
		}
		return stage.whenComplete((result, failure) -> {
			if (failure == null) {
				entry.recordSuccess(start);
			}
			else {
				entry.recordThrowable(start, failure);
			}
		});
	}

	/**
	 * Registers a listener for the state changes of every breaker, present and future.
	 * @param listener the listener
	 * @return a handle that removes it
	 */
	public Subscription addListener(CircuitBreakerListener listener) {
		Objects.requireNonNull(listener, "listener");
		this.listeners.add(listener);
		return () -> this.listeners.remove(listener);
	}

	/** The current state of every breaker created through this object, sorted by name. */
	public Map<String, CircuitBreaker.State> states() {
		Map<String, CircuitBreaker.State> states = new TreeMap<>();
		this.entries.forEach((name, entry) -> states.put(name, entry.breaker.getState()));
		return states;
	}

	/**
	 * The breakers that do not let every call through ({@code OPEN}, {@code HALF_OPEN},
	 * {@code FORCED_OPEN}), sorted by name.
	 */
	public List<String> openCircuits() {
		List<String> open = new ArrayList<>();
		states().forEach((name, state) -> {
			if (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.HALF_OPEN
					|| state == CircuitBreaker.State.FORCED_OPEN) {
				open.add(name);
			}
		});
		return List.copyOf(open);
	}

	/** A snapshot of every breaker and the totals; see {@link CircuitBreakerMetrics}. */
	public CircuitBreakerMetrics metrics() {
		List<CircuitBreakerMetrics.Breaker> breakers = new ArrayList<>();
		long successful = 0;
		long failed = 0;
		long rejected = 0;
		long ignored = 0;
		for (BreakerEntry entry : new TreeMap<>(this.entries).values()) {
			CircuitBreakerMetrics.Breaker snapshot = entry.snapshot();
			breakers.add(snapshot);
			if (entry.kind != CircuitBreakerKind.INSTANCE) {
				successful += snapshot.successfulRequests();
				failed += snapshot.failedRequests();
				rejected += snapshot.rejectedRequests();
				ignored += snapshot.ignoredRequests();
			}
		}
		return new CircuitBreakerMetrics(successful + failed + rejected + ignored, successful, failed, rejected,
				ignored, breakers);
	}

	/**
	 * A snapshot of one breaker created through this object, read from its counts without creating
	 * anything (meters read this).
	 * @param name the breaker's name
	 * @return its snapshot, empty when this object holds no breaker of that name
	 */
	public Optional<CircuitBreakerMetrics.Breaker> metrics(String name) {
		BreakerEntry entry = this.entries.get(Objects.requireNonNull(name, "name"));
		return (entry != null) ? Optional.of(entry.snapshot()) : Optional.empty();
	}

	/** An interceptor guarding calls with the breaker named after each channel's authority. */
	public CircuitBreakerClientInterceptor clientInterceptor() {
		return CircuitBreakerClientInterceptor.builder(this).build();
	}

	/**
	 * An interceptor guarding calls with the breaker of the given service.
	 * @param serviceName the target service
	 * @return the interceptor
	 */
	public CircuitBreakerClientInterceptor clientInterceptor(String serviceName) {
		return CircuitBreakerClientInterceptor.builder(this).serviceName(serviceName).build();
	}

	/**
	 * Guards a channel: sets {@link #NAME_RESOLVER_ARG} so the {@code grpc_scale_round_robin} policy
	 * (chosen by the {@code discovery:///} resolver once {@link CircuitBreakerLoadBalancerProvider} is
	 * registered) keeps per-instance breakers, and adds {@link #clientInterceptor()}, whose service breaker
	 * is named after the channel's authority ({@code <service>} for {@code discovery:///<service>}).
	 * @param builder the channel builder
	 * @param <T> the builder type
	 * @return the builder
	 */
	public <T extends ManagedChannelBuilder<T>> T configure(T builder) {
		return builder.setNameResolverArg(NAME_RESOLVER_ARG, this).intercept(clientInterceptor());
	}

	BreakerEntry entry(String name, CircuitBreakerKind kind) {
		Objects.requireNonNull(name, "name");
		// an instance breaker's use is noted under the map's lock of its name, where a sweep removes it
		BreakerEntry entry = (kind != CircuitBreakerKind.INSTANCE) ? this.entries.get(name) : null;
		if (entry != null) {
			return entry;
		}
		if (name.isBlank()) {
			throw new IllegalArgumentException("name: '" + name + "' (expected: a non-blank breaker name)");
		}
		if (kind == CircuitBreakerKind.INSTANCE) {
			return this.retention.use(name);
		}
		return this.entries.computeIfAbsent(name, (key) -> create(key, kind));
	}

	private BreakerEntry create(String name, CircuitBreakerKind kind) {
		CircuitBreakerConfig named = config(name);
		AtomicReference<@Nullable CircuitBreaker> self = new AtomicReference<>();
		CircuitBreaker breaker = this.registry.circuitBreaker(name, FailureCountRule.configFor(named, this.clock, self),
				Map.of(KIND_TAG, kind.name().toLowerCase(Locale.ROOT)));
		self.set(breaker);
		// Transitions are observed after each call into the breaker rather than through its event publisher:
		// any consumer there makes resilience4j build an event object, time-stamped, for every call.
		return new BreakerEntry(name, kind, breaker, breaker.getCircuitBreakerConfig(), this::publish);
	}

	private void publish(BreakerEntry entry, CircuitBreaker.State from, CircuitBreaker.State to) {
		if (to == CircuitBreaker.State.OPEN || from == CircuitBreaker.State.OPEN) {
			logger.info("Circuit breaker '{}' ({}) {} -> {}", entry.name, entry.kind, from, to);
		}
		else {
			logger.debug("Circuit breaker '{}' ({}) {} -> {}", entry.name, entry.kind, from, to);
		}
		CircuitBreakerTransition transition = new CircuitBreakerTransition(entry.name, entry.kind, from, to,
				this.clock.instant());
		for (CircuitBreakerListener listener : this.listeners) {
			try {
				listener.onStateTransition(transition);
			}
			catch (RuntimeException ex) {
				logger.warn("Circuit breaker listener {} failed on {}", listener, transition, ex);
			}
		}
	}

	/** Settings of a {@link GrpcCircuitBreakers}. */
	public static final class Builder {

		private @Nullable CircuitBreakerRegistry registry;

		private CircuitBreakerConfig defaults = CircuitBreakerSettings.defaults().toConfig();

		private final Map<String, CircuitBreakerConfig> overrides = new LinkedHashMap<>();

		private Clock clock = Clock.systemUTC();

		private final List<CircuitBreakerListener> listeners = new ArrayList<>();

		private Duration instanceRetention = Duration.ofMinutes(DEFAULT_INSTANCE_RETENTION_MINUTES);

		private Builder() {
		}

		/**
		 * How long the breaker of an instance that no channel balances over any more (it left discovery) is
		 * kept, with its state and meters, before it is removed; an instance back within that time finds its
		 * breaker as it left it, one back later gets a fresh one. Default
		 * {@value GrpcCircuitBreakers#DEFAULT_INSTANCE_RETENTION_MINUTES} minutes; zero removes it at once.
		 * @param instanceRetention the retention
		 * @return this builder
		 * @throws IllegalArgumentException if it is negative
		 */
		public Builder instanceRetention(Duration instanceRetention) {
			Objects.requireNonNull(instanceRetention, "instanceRetention");
			if (instanceRetention.isNegative()) {
				throw new IllegalArgumentException("instanceRetention: " + instanceRetention + " (expected: >= 0)");
			}
			this.instanceRetention = instanceRetention;
			return this;
		}

		/**
		 * The resilience4j registry to create breakers in (for example one shared with other resilience4j
		 * users, or bound to Micrometer). Default: a registry of its own.
		 * @param registry the registry
		 * @return this builder
		 */
		public Builder registry(CircuitBreakerRegistry registry) {
			this.registry = Objects.requireNonNull(registry, "registry");
			return this;
		}

		/**
		 * The settings of every breaker without a configuration of its own (or its service's) name; the same
		 * as {@code defaults(defaults.toConfig())}. Default {@link CircuitBreakerSettings#defaults()}.
		 * @param defaults the settings
		 * @return this builder
		 */
		public Builder defaults(CircuitBreakerSettings defaults) {
			return defaults(Objects.requireNonNull(defaults, "defaults").toConfig());
		}

		/**
		 * The configuration of every breaker without a configuration of its own (or its service's) name.
		 * Default {@code CircuitBreakerSettings.defaults().toConfig()}.
		 * @param defaults the configuration; its clock is replaced by {@link #clock(Clock)}
		 * @return this builder
		 */
		public Builder defaults(CircuitBreakerConfig defaults) {
			this.defaults = Objects.requireNonNull(defaults, "defaults");
			return this;
		}

		/**
		 * The settings of the breaker of this name (a service, an instance {@code <service>/<id>} or an
		 * operation); a service's override also applies to its instances' breakers. Derive it from the
		 * defaults with {@link CircuitBreakerSettings#toBuilder()} to change only some settings.
		 * @param name the breaker name
		 * @param settings its settings
		 * @return this builder
		 * @throws IllegalArgumentException if the name is blank
		 */
		public Builder override(String name, CircuitBreakerSettings settings) {
			return override(name, Objects.requireNonNull(settings, "settings").toConfig());
		}

		/**
		 * The configuration of the breaker of this name (a service, an instance {@code <service>/<id>} or an
		 * operation); a service's configuration also applies to its instances' breakers. It takes precedence
		 * over a configuration of the same name in the registry.
		 * @param name the breaker name
		 * @param config its configuration; its clock is replaced by {@link #clock(Clock)}
		 * @return this builder
		 * @throws IllegalArgumentException if the name is blank
		 */
		public Builder override(String name, CircuitBreakerConfig config) {
			Objects.requireNonNull(name, "name");
			if (name.isBlank()) {
				throw new IllegalArgumentException("override name: '" + name + "' (expected: a breaker name)");
			}
			this.overrides.put(name, Objects.requireNonNull(config, "config"));
			return this;
		}

		/**
		 * The clock for the monitoring window and the recovery timeout. Default the system UTC clock, read on
		 * every recorded call; a {@link CoarseClock} (what the Spring Boot starter gives) reads it once per
		 * resolution instead. The time a call takes is measured apart, with {@code System.nanoTime()}.
		 * @param clock the clock
		 * @return this builder
		 */
		public Builder clock(Clock clock) {
			this.clock = Objects.requireNonNull(clock, "clock");
			return this;
		}

		/**
		 * Adds a listener for state changes; see {@link GrpcCircuitBreakers#addListener}.
		 * @param listener the listener
		 * @return this builder
		 */
		public Builder listener(CircuitBreakerListener listener) {
			this.listeners.add(Objects.requireNonNull(listener, "listener"));
			return this;
		}

		/** Builds the breakers. */
		public GrpcCircuitBreakers build() {
			return new GrpcCircuitBreakers(this);
		}

	}

}
