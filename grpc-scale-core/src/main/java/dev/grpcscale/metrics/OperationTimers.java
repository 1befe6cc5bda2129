package dev.grpcscale.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.circuitbreaker.CircuitBreakerOpenException;

/**
 * Times operations with a Micrometer {@link Timer} recorded directly, without an observation: the
 * {@code grpc.scale.operation} meter of {@code executeWithEnhancements} when no tracer observes operations.
 * The timer has the name and tags the observation path gives it through Micrometer's
 * {@code DefaultMeterObservationHandler}: the {@link OperationObservationConvention}'s name and
 * low-cardinality key values of the ended run ({@link DefaultOperationObservationConvention} unless one is
 * given), plus {@code error}, the simple class name of what the operation threw or {@code none}. Dashboards
 * and alerts on the meter read the same series on either path.
 *
 * <p>Cost per run: two reads of the registry's monotonic clock, two map lookups (the convention's key values,
 * then the timer cached for them) and the timer's record; with the default convention no allocation of
 * grpc-scale's. A custom convention is given an {@link OperationContext} per run. At most {@value #LIMIT}
 * timers are cached; further ones are looked up in the registry on every run, so a convention with
 * high-cardinality values cannot grow this cache without end (it still grows the registry).
 *
 * <p>Limits, against the observation path: no span and no current observation while the operation runs, no
 * {@code grpc.scale.operation.active} long-task timer, and the observation registry's filters, predicates and
 * handlers are not consulted (meter filters of the registry still apply). Thread-safe.
 */
public final class OperationTimers {

	/** How many timers are cached. */
	static final int LIMIT = 1024;

	/** The tag Micrometer's meter handler adds to an observation's timer. */
	static final String ERROR = "error";

	private static final String NO_ERROR = "none";

	private final MeterRegistry registry;

	private final Clock clock;

	private final OperationObservationConvention convention;

	private final @Nullable DefaultOperationObservationConvention defaultConvention;

	private final Map<KeyValues, RunTimers> timers = new ConcurrentHashMap<>();

	private final AtomicInteger cached = new AtomicInteger();

	/**
	 * Creates the timers with the default convention.
	 * @param registry where the timers are registered
	 */
	public OperationTimers(MeterRegistry registry) {
		this(registry, null);
	}

	/**
	 * Creates the timers.
	 * @param registry where the timers are registered; its clock times the runs
	 * @param convention names and tags the timers; {@code null} for
	 * {@link DefaultOperationObservationConvention}
	 */
	public OperationTimers(MeterRegistry registry, @Nullable OperationObservationConvention convention) {
		this.registry = Objects.requireNonNull(registry, "registry");
		this.clock = registry.config().clock();
		this.convention = (convention != null) ? convention : new DefaultOperationObservationConvention();
		// a subclass may override the key values: only the default convention's own are read without a context
		this.defaultConvention = (this.convention.getClass() == DefaultOperationObservationConvention.class)
				? (DefaultOperationObservationConvention) this.convention : null;
	}

	/**
	 * Runs {@code body} and records its duration on the {@code grpc.scale.operation} timer of
	 * {@code operationName} and its outcome.
	 * @param operationName the operation's name
	 * @param body what to run
	 * @param <T> the result type
	 * @return what the body returned
	 * @throws Exception what the body threw, unchanged
	 */
	public <T> T record(String operationName, Callable<T> body) throws Exception {
		long start = this.clock.monotonicTime();
		OperationOutcome outcome = null;
		Exception failure = null;
		try {
			T result = body.call();
			outcome = OperationOutcome.SUCCESS;
			return result;
		}
		catch (Exception ex) {
			outcome = outcomeOf(ex);
			failure = ex;
			throw ex;
		}
		finally {
			// an Error leaves the outcome unknown and the error tag none, as the observation path does
			stop(operationName, outcome, failure, start);
		}
	}

	/**
	 * Runs {@code body} and records the time until the returned stage completes on the
	 * {@code grpc.scale.operation} timer of {@code operationName} and its outcome.
	 * @param operationName the operation's name
	 * @param body supplies the stage
	 * @param <T> the result type
	 * @return a stage completing as the body's does
	 */
	public <T> CompletionStage<T> recordAsync(String operationName, Supplier<? extends CompletionStage<T>> body) {
		long start = this.clock.monotonicTime();
		CompletionStage<T> stage;
		try {
			stage = body.get();
		}
		catch (RuntimeException ex) {
			stop(operationName, outcomeOf(ex), ex, start);
			return CompletableFuture.failedFuture(ex);
		}
		return stage.whenComplete((result, failure) -> {
			if (failure == null) {
				stop(operationName, OperationOutcome.SUCCESS, null, start);
			}
			else {
				Throwable cause = (failure instanceof CompletionException && failure.getCause() != null)
						? failure.getCause() : failure;
				stop(operationName, outcomeOf(cause), cause, start);
			}
		});
	}

	/** How many timers are cached; at most {@value #LIMIT}. */
	int cachedTimers() {
		return this.cached.get();
	}

	private void stop(String operationName, @Nullable OperationOutcome outcome, @Nullable Throwable failure,
			long start) {
		timer(operationName, outcome, failure).record(this.clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
	}

	private Timer timer(String operationName, @Nullable OperationOutcome outcome, @Nullable Throwable failure) {
		KeyValues keyValues = keyValues(operationName, outcome, failure);
		RunTimers known = this.timers.get(keyValues);
		if (known == null) {
			if (this.cached.get() >= LIMIT) {
				return register(keyValues, errorValue(failure));
			}
			RunTimers created = new RunTimers();
			RunTimers raced = this.timers.putIfAbsent(keyValues, created);
			known = (raced != null) ? raced : created;
		}
		return (failure != null) ? known.failed(keyValues, failure.getClass()) : known.succeeded(keyValues);
	}

	private KeyValues keyValues(String operationName, @Nullable OperationOutcome outcome,
			@Nullable Throwable failure) {
		DefaultOperationObservationConvention defaults = this.defaultConvention;
		if (defaults != null) {
			return defaults.keyValues(operationName, outcome);
		}
		OperationContext context = new OperationContext(operationName);
		if (outcome != null) {
			context.setOutcome(outcome);
		}
		context.setError(failure);
		return this.convention.getLowCardinalityKeyValues(context);
	}

	private Timer register(KeyValues keyValues, String error) {
		List<Tag> tags = new ArrayList<>();
		for (KeyValue keyValue : keyValues) {
			tags.add(Tag.of(keyValue.getKey(), keyValue.getValue()));
		}
		tags.add(Tag.of(ERROR, error));
		return this.registry.timer(this.convention.getName(), tags);
	}

	private static String errorValue(@Nullable Throwable failure) {
		return (failure != null) ? failure.getClass().getSimpleName() : NO_ERROR;
	}

	private static OperationOutcome outcomeOf(Throwable failure) {
		return (failure instanceof CircuitBreakerOpenException) ? OperationOutcome.REJECTED : OperationOutcome.ERROR;
	}

	/** The timers of one set of key values: without an error, and per error class. */
	private final class RunTimers {

		private volatile @Nullable Timer succeeded;

		private final Map<Class<?>, Timer> failed = new ConcurrentHashMap<>();

		Timer succeeded(KeyValues keyValues) {
			Timer timer = this.succeeded;
			if (timer == null) {
				timer = register(keyValues, NO_ERROR);
				if (OperationTimers.this.cached.getAndIncrement() < LIMIT) {
					this.succeeded = timer;
				}
				else {
					OperationTimers.this.cached.decrementAndGet();
				}
			}
			return timer;
		}

		Timer failed(KeyValues keyValues, Class<?> errorClass) {
			Timer timer = this.failed.get(errorClass);
			if (timer == null) {
				timer = register(keyValues, errorClass.getSimpleName());
				if (OperationTimers.this.cached.getAndIncrement() < LIMIT) {
					Timer raced = this.failed.putIfAbsent(errorClass, timer);
					if (raced != null) {
						OperationTimers.this.cached.decrementAndGet();
					}
				}
				else {
					OperationTimers.this.cached.decrementAndGet();
				}
			}
			return timer;
		}

	}

}
