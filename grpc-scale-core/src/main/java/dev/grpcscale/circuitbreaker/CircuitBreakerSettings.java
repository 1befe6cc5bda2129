package dev.grpcscale.circuitbreaker;

import java.time.Duration;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.function.Predicate;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.TransitionCheckResult;
import io.github.resilience4j.core.functions.Either;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import org.jspecify.annotations.Nullable;

/**
 * How one circuit breaker decides to open, when it tries again, and what counts as a failure, in the
 * seed's words; {@link #toConfig()} turns it into the resilience4j {@link CircuitBreakerConfig} that
 * breakers are configured with. Breakers never hold these settings: {@link GrpcCircuitBreakers} looks
 * {@code CircuitBreakerConfig}s up by breaker name, so a configuration built here and one written in
 * resilience4j's own terms (for example by resilience4j's Spring Boot properties) are the same thing.
 * Immutable; build it with {@link #builder()} or copy and change one with {@link #toBuilder()}.
 *
 * <p><b>Opening.</b> A closed breaker opens once at least {@link #failureThreshold()} calls (default 5)
 * that ended with a failure lie inside the last {@link #monitoringPeriod()} (default 60s). With a
 * {@link #failureRateThreshold()} set, it opens instead once the failure rate of the calls in that
 * period reaches the threshold (a percentage) <em>and</em> at least {@code failureThreshold} calls were
 * made in it; that is resilience4j's own rule. Calls are counted by resilience4j's time-based sliding
 * window, in one-second buckets: a call stops counting between {@code monitoringPeriod - 1s} and
 * {@code monitoringPeriod} after it ended, never later. So the monitoring period is a whole number of
 * seconds.
 *
 * <p><b>Recovering.</b> The first call attempted more than {@link #recoveryTimeout()} (default 30s) after
 * the breaker opened turns it half-open and goes through as the one trial call; others are rejected
 * while it runs. Its success closes the breaker with an empty window, its failure opens it again for
 * another {@code recoveryTimeout}. The timeout has millisecond resolution.
 *
 * <p><b>Failures.</b> A gRPC call fails when it ends with one of {@link #expectedErrors()} (default
 * {@code UNAVAILABLE}, {@code DEADLINE_EXCEEDED}); any other status, {@code OK} or not, counts as a
 * success, since the target answered. A call that ends {@code CANCELLED} when {@code CANCELLED} is not an
 * expected error is not counted at all (the client gave up). For operations run through
 * {@link GrpcCircuitBreakers#execute}, a {@link StatusRuntimeException} or {@link StatusException} fails
 * when its code is expected, and any other exception fails when {@link Builder#recordExceptions} accepts
 * it (default: every exception).
 *
 * <p>Limits: slow calls never open a breaker; there is one trial call per half-open period.
 */
public final class CircuitBreakerSettings {

	/** Default {@link #failureThreshold()}: 5 failed calls. */
	public static final int DEFAULT_FAILURE_THRESHOLD = 5;

	/** Default {@link #monitoringPeriod()}: 60 seconds. */
	public static final Duration DEFAULT_MONITORING_PERIOD = Duration.ofSeconds(60);

	/** Default {@link #recoveryTimeout()}: 30 seconds. */
	public static final Duration DEFAULT_RECOVERY_TIMEOUT = Duration.ofSeconds(30);

	/** Default {@link #expectedErrors()}: {@code UNAVAILABLE} and {@code DEADLINE_EXCEEDED}. */
	public static final Set<Status.Code> DEFAULT_EXPECTED_ERRORS = Set.of(Status.Code.UNAVAILABLE,
			Status.Code.DEADLINE_EXCEEDED);

	/**
	 * Marks a {@link CircuitBreakerConfig} as using the failure count rule: set as its
	 * {@code transitionOnResult}, it makes a grpc-scale breaker open once {@code minimumNumberOfCalls}
	 * failed calls lie in the sliding window, whatever the failure rate (the breaker binds the rule to
	 * itself when it is created). A plain resilience4j breaker ignores the marker and applies the
	 * configuration's failure rate; {@link #toConfig()} pairs the marker with a rate of 100%.
	 */
	public static final Function<Either<Object, Throwable>, TransitionCheckResult> FAILURE_COUNT_RULE = (
			result) -> TransitionCheckResult.noTransition();

	/** Slow calls never open a grpc-scale breaker: no call is this slow. */
	private static final Duration NEVER_SLOW = Duration.ofNanos(Long.MAX_VALUE);

	private static final CircuitBreakerSettings DEFAULTS = builder().build();

	private final int failureThreshold;

	private final Duration monitoringPeriod;

	private final Duration recoveryTimeout;

	private final Set<Status.Code> expectedErrors;

	private final @Nullable Float failureRateThreshold;

	private final Predicate<? super Throwable> recordExceptions;

	private CircuitBreakerSettings(Builder builder) {
		this.failureThreshold = builder.failureThreshold;
		this.monitoringPeriod = builder.monitoringPeriod;
		this.recoveryTimeout = builder.recoveryTimeout;
		this.expectedErrors = Set.copyOf(builder.expectedErrors);
		this.failureRateThreshold = builder.failureRateThreshold;
		this.recordExceptions = builder.recordExceptions;
	}

	/** The settings with every default. */
	public static CircuitBreakerSettings defaults() {
		return DEFAULTS;
	}

	/** Starts a builder with every default. */
	public static Builder builder() {
		return new Builder();
	}

	/** Starts a builder holding these settings, to derive an override from them. */
	public Builder toBuilder() {
		return new Builder(this);
	}

	/** How many failed calls inside the monitoring period open the breaker (the minimum number of calls with a failure rate); default 5. */
	public int failureThreshold() {
		return this.failureThreshold;
	}

	/** The sliding time window in which calls count; default 60s, whole seconds. */
	public Duration monitoringPeriod() {
		return this.monitoringPeriod;
	}

	/** How long an open breaker rejects calls before it lets a trial call through; default 30s. */
	public Duration recoveryTimeout() {
		return this.recoveryTimeout;
	}

	/** The gRPC status codes that count as failures; default {@code UNAVAILABLE}, {@code DEADLINE_EXCEEDED}. */
	public Set<Status.Code> expectedErrors() {
		return this.expectedErrors;
	}

	/** The failure rate (percent) that opens the breaker, or {@code null} (default) to open on the failure count. */
	public @Nullable Float failureRateThreshold() {
		return this.failureRateThreshold;
	}

	/**
	 * The resilience4j configuration of these settings: a time-based, synchronized sliding window of
	 * {@link #monitoringPeriod()} seconds, {@link #failureThreshold()} as the minimum number of calls,
	 * {@link #recoveryTimeout()} as the wait in open state, one call in half-open state, no automatic
	 * transition to half-open, slow calls never counted, failures as {@link #isFailure(Throwable)} says and,
	 * without a {@link #failureRateThreshold()}, the {@link #FAILURE_COUNT_RULE}. It has no clock: a
	 * {@link GrpcCircuitBreakers} gives each breaker its own.
	 * @return the configuration
	 */
	public CircuitBreakerConfig toConfig() {
		// SYNCHRONIZED, not LOCK_FREE: resilience4j 2.4.0 runs its lock-free time-based window on System.nanoTime()
		// whatever clock the configuration has, so the monitoring period would not follow a breaker's clock; and it
		// refuses a one-second window (slidingWindowSize must be at least 2, after an NPE there: resilience4j #2334,
		// #2379). Its counts under concurrency are exact, but it is not faster per call here (docs/benchmarks.md).
		CircuitBreakerConfig.Builder config = CircuitBreakerConfig.custom()
			.slidingWindow((int) this.monitoringPeriod.getSeconds(), this.failureThreshold, SlidingWindowType.TIME_BASED,
					SlidingWindowSynchronizationStrategy.SYNCHRONIZED)
			.waitDurationInOpenState(this.recoveryTimeout)
			.permittedNumberOfCallsInHalfOpenState(1)
			.slowCallRateThreshold(100)
			.slowCallDurationThreshold(NEVER_SLOW)
			.automaticTransitionFromOpenToHalfOpenEnabled(false)
			.recordException(this::isFailure)
			.writableStackTraceEnabled(false);
		if (this.failureRateThreshold != null) {
			// resilience4j's own rule: rate >= threshold once minimumNumberOfCalls (failureThreshold) calls.
			config.failureRateThreshold(this.failureRateThreshold);
		}
		else {
			// 100% over failureThreshold calls is a special case of "failureThreshold failures"; the general case is
			// checked by the breaker after each recorded failure (FAILURE_COUNT_RULE).
			config.failureRateThreshold(100).transitionOnResult(FAILURE_COUNT_RULE);
		}
		return config.build();
	}

	/**
	 * Whether a call that ended with this status counts as a failure.
	 * @param code the status code
	 * @return whether the code is one of {@link #expectedErrors()}
	 */
	public boolean isFailure(Status.Code code) {
		return this.expectedErrors.contains(code);
	}

	/**
	 * Whether an operation that threw this exception counts as a failure: a gRPC status exception by its
	 * code, any other one by {@link Builder#recordExceptions}. A {@link CompletionException} or
	 * {@link ExecutionException} is judged by its cause.
	 * @param failure what the operation threw
	 * @return whether it counts as a failure
	 */
	public boolean isFailure(Throwable failure) {
		Throwable actual = unwrap(failure);
		Status status = statusOf(actual);
		if (status != null) {
			return isFailure(status.getCode());
		}
		return this.recordExceptions.test(actual);
	}

	static Throwable unwrap(Throwable failure) {
		Throwable actual = failure;
		while ((actual instanceof CompletionException || actual instanceof ExecutionException)
				&& actual.getCause() != null) {
			actual = actual.getCause();
		}
		return actual;
	}

	static @Nullable Status statusOf(Throwable failure) {
		if (failure instanceof StatusRuntimeException ex) {
			return ex.getStatus();
		}
		if (failure instanceof StatusException ex) {
			return ex.getStatus();
		}
		return null;
	}

	@Override
	public boolean equals(@Nullable Object other) {
		if (this == other) {
			return true;
		}
		return other instanceof CircuitBreakerSettings that && this.failureThreshold == that.failureThreshold
				&& this.monitoringPeriod.equals(that.monitoringPeriod)
				&& this.recoveryTimeout.equals(that.recoveryTimeout) && this.expectedErrors.equals(that.expectedErrors)
				&& Objects.equals(this.failureRateThreshold, that.failureRateThreshold)
				&& this.recordExceptions.equals(that.recordExceptions);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.failureThreshold, this.monitoringPeriod, this.recoveryTimeout, this.expectedErrors,
				this.failureRateThreshold, this.recordExceptions);
	}

	@Override
	public String toString() {
		return "CircuitBreakerSettings{failureThreshold=" + this.failureThreshold + ", monitoringPeriod="
				+ this.monitoringPeriod + ", recoveryTimeout=" + this.recoveryTimeout + ", expectedErrors="
				+ new java.util.TreeSet<>(this.expectedErrors) + ", failureRateThreshold=" + this.failureRateThreshold
				+ "}";
	}

	/**
	 * Builds {@link CircuitBreakerSettings}. Every setter checks its argument at once and throws
	 * {@link IllegalArgumentException} naming the setting, the value and what is expected.
	 */
	public static final class Builder {

		private static final Predicate<Throwable> ANY_EXCEPTION = (ex) -> true;

		private int failureThreshold = DEFAULT_FAILURE_THRESHOLD;

		private Duration monitoringPeriod = DEFAULT_MONITORING_PERIOD;

		private Duration recoveryTimeout = DEFAULT_RECOVERY_TIMEOUT;

		private Set<Status.Code> expectedErrors = DEFAULT_EXPECTED_ERRORS;

		private @Nullable Float failureRateThreshold;

		private Predicate<? super Throwable> recordExceptions = ANY_EXCEPTION;

		private Builder() {
		}

		private Builder(CircuitBreakerSettings settings) {
			this.failureThreshold = settings.failureThreshold;
			this.monitoringPeriod = settings.monitoringPeriod;
			this.recoveryTimeout = settings.recoveryTimeout;
			this.expectedErrors = settings.expectedErrors;
			this.failureRateThreshold = settings.failureRateThreshold;
			this.recordExceptions = settings.recordExceptions;
		}

		/**
		 * Failed calls inside the monitoring period that open the breaker; with a failure rate, the
		 * minimum number of calls before the rate counts. Default 5.
		 * @param failureThreshold at least 1
		 * @return this builder
		 * @throws IllegalArgumentException if below 1
		 */
		public Builder failureThreshold(int failureThreshold) {
			if (failureThreshold < 1) {
				throw new IllegalArgumentException("failureThreshold: " + failureThreshold + " (expected: >= 1)");
			}
			this.failureThreshold = failureThreshold;
			return this;
		}

		/**
		 * The sliding window in which calls count. Default 60s.
		 * @param monitoringPeriod a whole number of seconds, at least 1s
		 * @return this builder
		 * @throws IllegalArgumentException if shorter than 1s or not whole seconds
		 */
		public Builder monitoringPeriod(Duration monitoringPeriod) {
			Objects.requireNonNull(monitoringPeriod, "monitoringPeriod");
			if (monitoringPeriod.getSeconds() < 1 || monitoringPeriod.getNano() != 0
					|| monitoringPeriod.getSeconds() > Integer.MAX_VALUE) {
				throw new IllegalArgumentException(
						"monitoringPeriod: " + monitoringPeriod + " (expected: a whole number of seconds, >= 1s)");
			}
			this.monitoringPeriod = monitoringPeriod;
			return this;
		}

		/**
		 * How long an open breaker rejects calls before a trial call. Default 30s.
		 * @param recoveryTimeout positive, whole milliseconds
		 * @return this builder
		 * @throws IllegalArgumentException if not positive or not whole milliseconds
		 */
		public Builder recoveryTimeout(Duration recoveryTimeout) {
			Objects.requireNonNull(recoveryTimeout, "recoveryTimeout");
			if (recoveryTimeout.isNegative() || recoveryTimeout.isZero()) {
				throw new IllegalArgumentException("recoveryTimeout: " + recoveryTimeout + " (expected: > 0)");
			}
			if (recoveryTimeout.getNano() % 1_000_000 != 0) {
				throw new IllegalArgumentException(
						"recoveryTimeout: " + recoveryTimeout + " (expected: whole milliseconds)");
			}
			this.recoveryTimeout = recoveryTimeout;
			return this;
		}

		/**
		 * The gRPC status codes that count as failures. Default {@code UNAVAILABLE},
		 * {@code DEADLINE_EXCEEDED}. An empty set makes no gRPC status a failure.
		 * @param expectedErrors status codes other than {@code OK}
		 * @return this builder
		 * @throws IllegalArgumentException if it holds {@code OK}
		 */
		public Builder expectedErrors(Collection<Status.Code> expectedErrors) {
			Objects.requireNonNull(expectedErrors, "expectedErrors");
			Set<Status.Code> codes = expectedErrors.isEmpty() ? EnumSet.noneOf(Status.Code.class)
					: EnumSet.copyOf(expectedErrors);
			if (codes.contains(Status.Code.OK)) {
				throw new IllegalArgumentException(
						"expectedErrors: " + codes + " (expected: error status codes, not OK)");
			}
			this.expectedErrors = Set.copyOf(codes);
			return this;
		}

		/**
		 * Opens on the failure rate instead of the failure count: once the failed share of the calls in the
		 * monitoring period reaches this percentage and at least {@code failureThreshold} calls were made.
		 * Default none.
		 * @param failureRateThreshold a percentage above 0 and at most 100, or {@code null} for none
		 * @return this builder
		 * @throws IllegalArgumentException if outside (0, 100]
		 */
		public Builder failureRateThreshold(@Nullable Float failureRateThreshold) {
			if (failureRateThreshold != null
					&& (failureRateThreshold.isNaN() || failureRateThreshold <= 0 || failureRateThreshold > 100)) {
				throw new IllegalArgumentException(
						"failureRateThreshold: " + failureRateThreshold + " (expected: > 0 and <= 100)");
			}
			this.failureRateThreshold = failureRateThreshold;
			return this;
		}

		/**
		 * Which exceptions thrown by an operation, other than gRPC status exceptions (always judged by
		 * {@link #expectedErrors}), count as failures. Default: every exception. An exception it rejects
		 * counts as a success.
		 * @param recordExceptions the test
		 * @return this builder
		 */
		public Builder recordExceptions(Predicate<? super Throwable> recordExceptions) {
			this.recordExceptions = Objects.requireNonNull(recordExceptions, "recordExceptions");
			return this;
		}

		/** Builds the settings. */
		public CircuitBreakerSettings build() {
			return new CircuitBreakerSettings(this);
		}

	}

}
