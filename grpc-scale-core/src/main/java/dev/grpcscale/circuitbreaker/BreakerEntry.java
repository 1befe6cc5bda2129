package dev.grpcscale.circuitbreaker;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.grpc.Metadata;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/**
 * One breaker of a {@link GrpcCircuitBreakers}: the resilience4j breaker with its configuration, the gRPC
 * status codes that configuration records as failures, and the counts since its creation of the calls that
 * went through grpc-scale. Callers take a permission ({@link #tryAcquire}), note the start ({@link #now()})
 * and record the outcome ({@link #recordSuccess}, {@link #recordThrowable}, {@link #recordStatus}) or give the
 * permission back ({@link #release()}); every such call publishes the state change it made, once, to the
 * {@link TransitionSink}.
 *
 * <p>An instance breaker's {@link #holders} and {@link #releasedAt} belong to {@link InstanceBreakerRetention}.
 *
 * <p>Thread-safe.
 */
final class BreakerEntry {

	/** resilience4j's default timestamp function, shared by every configuration that keeps it. */
	private static final Function<Clock, Long> DEFAULT_TIMESTAMP_FUNCTION = CircuitBreakerConfig.ofDefaults()
		.getCurrentTimestampFunction();

	final String name;

	final CircuitBreakerKind kind;

	final CircuitBreaker breaker;

	final CircuitBreakerConfig config;

	/** The gRPC status codes the configuration records as failures. */
	private final Set<Status.Code> failureCodes;

	private final LongAdder successful = new LongAdder();

	private final LongAdder failed = new LongAdder();

	private final LongAdder rejected = new LongAdder();

	private final LongAdder ignored = new LongAdder();

	private final AtomicReference<CircuitBreaker.State> observed;

	private final TransitionSink transitions;

	/**
	 * Whether the breaker times calls with resilience4j's default, {@code System.nanoTime()} in nanoseconds:
	 * then {@link #now()} reads it directly, without the {@code Long} resilience4j's timestamp function
	 * boxes it into.
	 */
	private final boolean nanoTime;

	/** How many channels hold this (instance) breaker; changed under the entries map's lock of its name. */
	volatile int holders;

	/** When the last holder released it, in the clock's milliseconds. */
	volatile long releasedAt;

	BreakerEntry(String name, CircuitBreakerKind kind, CircuitBreaker breaker, CircuitBreakerConfig config,
			TransitionSink transitions) {
		this.name = name;
		this.kind = kind;
		this.breaker = breaker;
		this.config = config;
		this.transitions = transitions;
		this.observed = new AtomicReference<>(breaker.getState());
		CircuitBreakerConfig own = breaker.getCircuitBreakerConfig();
		this.nanoTime = own.getCurrentTimestampFunction() == DEFAULT_TIMESTAMP_FUNCTION
				&& own.getTimestampUnit() == TimeUnit.NANOSECONDS;
		Set<Status.Code> codes = EnumSet.noneOf(Status.Code.class);
		for (Status.Code code : Status.Code.values()) {
			if (code != Status.Code.OK && isFailure(Status.fromCode(code).asRuntimeException())) {
				codes.add(code);
			}
		}
		this.failureCodes = codes;
	}

	/** Now, in the breaker's timestamp unit: the start of a call whose end {@link #recordSuccess} and the others take. */
	long now() {
		return this.nanoTime ? System.nanoTime() : this.breaker.getCurrentTimestamp();
	}

	/** How long the breaker stays open before a trial call. */
	Duration recoveryTimeout() {
		return recoveryTimeout(this.config);
	}

	/** Whether the configuration records this exception as a failure (and does not ignore it). */
	boolean isFailure(Throwable failure) {
		return !this.config.getIgnoreExceptionPredicate().test(failure)
				&& this.config.getRecordExceptionPredicate().test(failure);
	}

	boolean isFailure(Status.Code code) {
		return this.failureCodes.contains(code);
	}

	/** Takes a permission, counting a rejection when there is none. */
	boolean tryAcquire() {
		if (tryAcquirePermission()) {
			return true;
		}
		this.rejected.increment();
		return false;
	}

	/** Takes a permission without counting a rejection (a load balancer's trial pick). */
	boolean tryAcquirePermission() {
		boolean permitted = this.breaker.tryAcquirePermission();
		observeState();
		return permitted;
	}

	/**
	 * Publishes a state change the last call into the breaker made. Only the thread whose compare-and-set
	 * moves the observed state publishes, so each observed change is published once.
	 */
	private void observeState() {
		CircuitBreaker.State now = this.breaker.getState();
		CircuitBreaker.State before = this.observed.get();
		if (now != before && this.observed.compareAndSet(before, now)) {
			this.transitions.transition(this, before, now);
		}
	}

	void acquireOrThrow() {
		if (!tryAcquire()) {
			throw new CircuitBreakerOpenException(this.name, this.breaker.getState());
		}
	}

	void recordSuccess(long start) {
		this.breaker.onSuccess(elapsed(start), this.breaker.getTimestampUnit());
		this.successful.increment();
		observeState();
	}

	void recordThrowable(long start, Throwable failure) {
		Throwable actual = CircuitBreakerSettings.unwrap(failure);
		if (actual instanceof CancellationException) {
			ignore();
			return;
		}
		Status status = CircuitBreakerSettings.statusOf(actual);
		if (status != null && isIgnored(status.getCode())) {
			ignore();
			return;
		}
		if (isFailure(actual)) {
			this.failed.increment();
		}
		else {
			this.successful.increment();
		}
		// resilience4j classifies it again with the same predicate and runs the count rule
		this.breaker.onError(elapsed(start), this.breaker.getTimestampUnit(), actual);
		observeState();
	}

	/**
	 * Records a gRPC call's status.
	 * @param counted whether another breaker (the instance's) already counted this failure: then it
	 * counts here, but stays out of this breaker's window
	 * @return whether the status is a failure
	 */
	boolean recordStatus(long start, Status status, @Nullable Metadata trailers, boolean counted) {
		Status.Code code = status.getCode();
		if (code == Status.Code.OK) {
			recordSuccess(start);
			return false;
		}
		if (isIgnored(code)) {
			ignore();
			return false;
		}
		if (!isFailure(code)) {
			recordSuccess(start);
			return false;
		}
		this.failed.increment();
		if (counted) {
			this.breaker.releasePermission();
		}
		else {
			this.breaker.onError(elapsed(start), this.breaker.getTimestampUnit(),
					status.asRuntimeException(trailers));
		}
		observeState();
		return true;
	}

	/** Gives back a permission unused, as for a call that did not take place. */
	void release() {
		this.breaker.releasePermission();
		observeState();
	}

	private boolean isIgnored(Status.Code code) {
		return code == Status.Code.CANCELLED && !isFailure(code);
	}

	private void ignore() {
		this.breaker.releasePermission();
		this.ignored.increment();
	}

	private long elapsed(long start) {
		return Math.max(0, now() - start);
	}

	CircuitBreakerMetrics.Breaker snapshot() {
		CircuitBreaker.Metrics metrics = this.breaker.getMetrics();
		int buffered = metrics.getNumberOfBufferedCalls();
		int failedCalls = metrics.getNumberOfFailedCalls();
		float rate = (buffered == 0) ? 0f : failedCalls * 100f / buffered;
		return new CircuitBreakerMetrics.Breaker(this.name, this.kind, this.breaker.getState(), rate, buffered,
				failedCalls, this.successful.sum(), this.failed.sum(), this.rejected.sum(), this.ignored.sum());
	}

	/** The wait in open state of a configuration (its first, for a growing wait). */
	static Duration recoveryTimeout(CircuitBreakerConfig config) {
		return Duration.ofMillis(config.getWaitIntervalFunctionInOpenState().apply(1));
	}

	/** Receives the state changes of entries. */
	@FunctionalInterface
	interface TransitionSink {

		void transition(BreakerEntry entry, CircuitBreaker.State from, CircuitBreaker.State to);

	}

}
