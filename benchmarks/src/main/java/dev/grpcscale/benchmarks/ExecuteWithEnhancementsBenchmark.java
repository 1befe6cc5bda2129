package dev.grpcscale.benchmarks;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.metrics.CircuitBreakerMeterBinder;
import dev.grpcscale.circuitbreaker.CoarseClock;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.metrics.OperationTimers;
import dev.grpcscale.tracing.OperationObservations;

/**
 * Case b: what {@link EnhancedServiceManager#executeWithEnhancements} adds to a call, against the bare
 * call and bare resilience4j, in one JMH run. The operation returns a counter so nothing is folded away.
 * <ul>
 * <li>{@code bareCall}: {@code operation.call()};</li>
 * <li>{@code resilience4jDecorateCallable}: the baseline of goal b,
 * {@code CircuitBreaker.decorateCallable(breaker, operation).call()} per call on a breaker of resilience4j's
 * default configuration (count-based window of 100) held in a field;</li>
 * <li>{@code resilience4jDecoratedOnce}: the same callable decorated once, for reference;</li>
 * <li>{@code resilience4jTimeBasedWindow}: decorate per call on a breaker configured like grpc-scale's
 * defaults (time-based 60 s window, synchronized), to separate the window's cost from grpc-scale's;</li>
 * <li>{@code resilience4jTimeBasedWithTransitionListener}: the same with an {@code onStateTransition}
 * consumer registered, as {@link GrpcCircuitBreakers} registered one on each breaker until it observed
 * transitions itself (docs/benchmarks.md, finding 1): any consumer makes resilience4j build and dispatch an
 * event for every recorded call;</li>
 * <li>{@code executeWithEnhancements}: the manager over breakers as the starter builds them (defaults, on a
 * {@link CoarseClock} of 10 ms), one operation name, no meters;</li>
 * <li>{@code executeWithEnhancementsSystemClock}: the same on breakers reading {@code Clock.systemUTC()} on
 * every call ({@link GrpcCircuitBreakers#ofDefaults()}), to show the coarse clock's share;</li>
 * <li>{@code executeWithEnhancementsWithMeters}: the same manager with meters bound the way the starter binds
 * them when an application has Actuator and {@code micrometer-registry-prometheus} and no tracer
 * ({@code grpc.scale.metrics.operation-meter=auto} then takes the timer path): a {@link PrometheusMeterRegistry}
 * given to the manager (one cached {@code grpc.scale.operation} timer recorded per run, the default convention,
 * {@link OperationTimers}), and grpc-scale's own {@link CircuitBreakerMeterBinder} (function counters and gauges
 * read at scrape time, no per-call event subscription) on the breakers;</li>
 * <li>{@code executeWithEnhancementsObserved}: the same with the observation path instead (as with a tracer, or
 * {@code operation-meter=observation}): an {@link ObservationRegistry} with Micrometer's
 * {@link DefaultMeterObservationHandler} on it given to the manager, one {@code grpc.scale.operation}
 * observation per run (no tracer here, so no span: the meter handler's cost alone);</li>
 * <li>{@code resilience4jDecorateCallableWithMeters}: goal b's baseline with meters, the default breaker in a
 * registry bound to the same kind of Prometheus registry by {@link TaggedCircuitBreakerMetrics}, which is
 * what a bare resilience4j user binds (it subscribes to every call's event);</li>
 * <li>{@code operationTimerAlone}: grpc-scale's {@link OperationTimers} on the Prometheus registry around the
 * operation, no breaker: the timer's share of the metered manager;</li>
 * <li>{@code operationObservationAlone}: grpc-scale's {@link OperationObservations} on the metered
 * {@link ObservationRegistry} around the operation, no breaker: the observation's share of the metered
 * manager;</li>
 * <li>{@code observationWithMetersAlone}: the operation inside one plain Micrometer observation on the metered
 * {@link ObservationRegistry} (no convention, no context of grpc-scale's), no breaker: Micrometer's own
 * share;</li>
 * <li>{@code observationWithTimerOnlyAlone}: the same with the handler's long task timer left out
 * ({@code IgnoredMeters.LONG_TASK_TIMER}, Boot's {@code management.observations.long-task-timer.enabled=false}).</li>
 * </ul>
 * State is shared by the benchmark's threads: run with {@code -t 4} for four threads on the same breakers
 * (the operation's counter is then a racy but harmless {@code long}). Run with {@code -prof gc} for B/op.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xms512m", "-Xmx512m" })
public class ExecuteWithEnhancementsBenchmark {

	private long counter;

	private final Callable<Long> operation = () -> ++this.counter;

	private CircuitBreaker defaultBreaker;

	private CircuitBreaker timeBasedBreaker;

	private CircuitBreaker listenedBreaker;

	private Callable<Long> decoratedOnce;

	private EnhancedServiceManager manager;

	private EnhancedServiceManager systemClockManager;

	private EnhancedServiceManager meteredManager;

	private EnhancedServiceManager observedManager;

	private OperationTimers operationTimers;

	private CircuitBreaker meteredDefaultBreaker;

	private CoarseClock clock;

	private PrometheusMeterRegistry meters;

	private ObservationRegistry observations;

	private ObservationRegistry timerOnlyObservations;

	private OperationObservations operationObservations;

	/** Creates the breakers and the managers. */
	@Setup
	public void setUp() {
		this.defaultBreaker = CircuitBreaker.ofDefaults("bare");
		this.decoratedOnce = CircuitBreaker.decorateCallable(this.defaultBreaker, this.operation);
		CircuitBreakerConfig timeBased = CircuitBreakerConfig.custom()
			.slidingWindow(60, 5, SlidingWindowType.TIME_BASED, SlidingWindowSynchronizationStrategy.SYNCHRONIZED)
			.waitDurationInOpenState(Duration.ofSeconds(30))
			.build();
		this.timeBasedBreaker = CircuitBreaker.of("time-based", timeBased);
		this.listenedBreaker = CircuitBreaker.of("time-based-listened", timeBased);
		this.listenedBreaker.getEventPublisher().onStateTransition((event) -> this.counter--);
		this.clock = CoarseClock.start(Clock.systemUTC(), CoarseClock.DEFAULT_RESOLUTION);
		this.manager = EnhancedServiceManager.builder()
			.circuitBreakers(GrpcCircuitBreakers.builder().clock(this.clock).build())
			.build();
		this.systemClockManager = EnhancedServiceManager.builder()
			.circuitBreakers(GrpcCircuitBreakers.ofDefaults())
			.build();
		this.meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
		this.observations = ObservationRegistry.create();
		this.observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(this.meters));
		this.timerOnlyObservations = ObservationRegistry.create();
		this.timerOnlyObservations.observationConfig()
			.observationHandler(new DefaultMeterObservationHandler(this.meters,
					DefaultMeterObservationHandler.IgnoredMeters.LONG_TASK_TIMER));
		GrpcCircuitBreakers meteredBreakers = GrpcCircuitBreakers.builder().clock(this.clock).build();
		new CircuitBreakerMeterBinder(meteredBreakers).bindTo(this.meters);
		this.operationObservations = new OperationObservations(this.observations);
		this.operationTimers = new OperationTimers(this.meters);
		this.meteredManager = EnhancedServiceManager.builder()
			.circuitBreakers(meteredBreakers)
			.meterRegistry(this.meters)
			.build();
		GrpcCircuitBreakers observedBreakers = GrpcCircuitBreakers.builder().clock(this.clock).build();
		new CircuitBreakerMeterBinder(observedBreakers).bindTo(this.meters);
		this.observedManager = EnhancedServiceManager.builder()
			.circuitBreakers(observedBreakers)
			.observationRegistry(this.observations)
			.build();
		CircuitBreakerRegistry meteredRegistry = CircuitBreakerRegistry.ofDefaults();
		TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(meteredRegistry).bindTo(this.meters);
		this.meteredDefaultBreaker = meteredRegistry.circuitBreaker("bare-metered");
	}

	/**
	 * Stops the coarse clock's thread and checks that the benchmark, if metered, recorded its meters.
	 * @param params the benchmark JMH ran on this state
	 */
	@TearDown
	public void tearDown(BenchmarkParams params) {
		String benchmark = params.getBenchmark();
		close();
		checkRecorded(List.of(benchmark.substring(benchmark.lastIndexOf('.') + 1)));
	}

	/** Stops the coarse clock's thread. */
	void close() {
		this.clock.close();
	}

	/**
	 * Checks that each metered benchmark among {@code ran} counted its calls in its meter: a metered case that
	 * recorded nothing would measure the manager without its meters.
	 * @param ran the names of the benchmark methods that ran on this state
	 */
	void checkRecorded(Collection<String> ran) {
		for (String benchmark : ran) {
			Search search = switch (benchmark) {
				case "executeWithEnhancementsWithMeters" ->
					this.meters.find("grpc.scale.operation").tag("grpc.scale.operation", "load-prices");
				case "executeWithEnhancementsObserved" -> this.meters.find("grpc.scale.operation")
					.tag("grpc.scale.operation", "load-prices-observed-manager");
				case "resilience4jDecorateCallableWithMeters" -> this.meters.find("resilience4j.circuitbreaker.calls")
					.tags("name", "bare-metered", "kind", "successful");
				default -> null;
			};
			Timer timer = (search != null) ? search.timer() : null;
			if (search != null && (timer == null || timer.count() == 0)) {
				throw new IllegalStateException(benchmark + " recorded no meters:\n" + this.meters.scrape());
			}
		}
	}

	/** The operation alone. */
	@Benchmark
	public Long bareCall() throws Exception {
		return this.operation.call();
	}

	/** Goal b's baseline: decorate per call, resilience4j defaults. */
	@Benchmark
	public Long resilience4jDecorateCallable() throws Exception {
		return CircuitBreaker.decorateCallable(this.defaultBreaker, this.operation).call();
	}

	/** Decorated once, resilience4j defaults. */
	@Benchmark
	public Long resilience4jDecoratedOnce() throws Exception {
		return this.decoratedOnce.call();
	}

	/** Decorate per call, a time-based window like grpc-scale's defaults. */
	@Benchmark
	public Long resilience4jTimeBasedWindow() throws Exception {
		return CircuitBreaker.decorateCallable(this.timeBasedBreaker, this.operation).call();
	}

	/** Decorate per call, time-based window, a state-transition consumer registered. */
	@Benchmark
	public Long resilience4jTimeBasedWithTransitionListener() throws Exception {
		return CircuitBreaker.decorateCallable(this.listenedBreaker, this.operation).call();
	}

	/** grpc-scale, as the starter builds it, without meters. */
	@Benchmark
	public Long executeWithEnhancements() throws Exception {
		return this.manager.executeWithEnhancements(this.operation, "load-prices");
	}

	/** grpc-scale on breakers reading the system clock on every call. */
	@Benchmark
	public Long executeWithEnhancementsSystemClock() throws Exception {
		return this.systemClockManager.executeWithEnhancements(this.operation, "load-prices");
	}

	/** grpc-scale with a Prometheus meter registry bound as the starter binds it without a tracer: the timer path. */
	@Benchmark
	public Long executeWithEnhancementsWithMeters() throws Exception {
		return this.meteredManager.executeWithEnhancements(this.operation, "load-prices");
	}

	/** grpc-scale with the same meters on the observation path (a tracer, or {@code operation-meter=observation}). */
	@Benchmark
	public Long executeWithEnhancementsObserved() throws Exception {
		return this.observedManager.executeWithEnhancements(this.operation, "load-prices-observed-manager");
	}

	/** grpc-scale's {@code grpc.scale.operation} timer, no breaker. */
	@Benchmark
	public Long operationTimerAlone() throws Exception {
		return this.operationTimers.record("load-prices-timed", this.operation);
	}

	/** grpc-scale's {@code grpc.scale.operation} observation with the meter handler, no breaker. */
	@Benchmark
	public Long operationObservationAlone() throws Exception {
		return this.operationObservations.observe("load-prices-observed", this.operation);
	}

	/** One observation with the meter handler around the operation, no breaker. */
	@Benchmark
	public Long observationWithMetersAlone() throws Exception {
		return Observation.createNotStarted("load-prices-alone", this.observations).observeChecked(this.operation::call);
	}

	/** One observation with the meter handler but no long task timer, no breaker. */
	@Benchmark
	public Long observationWithTimerOnlyAlone() throws Exception {
		return Observation.createNotStarted("load-prices-timer-only", this.timerOnlyObservations)
			.observeChecked(this.operation::call);
	}

	/** Goal b's baseline with resilience4j's meters on a Prometheus registry. */
	@Benchmark
	public Long resilience4jDecorateCallableWithMeters() throws Exception {
		return CircuitBreaker.decorateCallable(this.meteredDefaultBreaker, this.operation).call();
	}

}
