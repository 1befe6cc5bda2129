package dev.grpcscale.benchmarks;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;

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
 * <li>{@code executeWithEnhancements}: the manager over {@link GrpcCircuitBreakers#ofDefaults()}, one
 * operation name.</li>
 * </ul>
 * Run with {@code -prof gc} for B/op.
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

	/** Creates the breakers and the manager. */
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
		this.manager = EnhancedServiceManager.builder().circuitBreakers(GrpcCircuitBreakers.ofDefaults()).build();
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

	/** grpc-scale. */
	@Benchmark
	public Long executeWithEnhancements() throws Exception {
		return this.manager.executeWithEnhancements(this.operation, "load-prices");
	}

}
