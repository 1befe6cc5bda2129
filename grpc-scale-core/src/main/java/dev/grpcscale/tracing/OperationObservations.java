package dev.grpcscale.tracing;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.circuitbreaker.CircuitBreakerOpenException;
import dev.grpcscale.metrics.DefaultOperationObservationConvention;
import dev.grpcscale.metrics.OperationContext;
import dev.grpcscale.metrics.OperationObservationConvention;
import dev.grpcscale.metrics.OperationOutcome;

/**
 * Runs operations inside one Micrometer {@link Observation} named {@code grpc.scale.operation} (by the
 * {@link OperationObservationConvention}; {@link DefaultOperationObservationConvention} unless one is
 * given): a span named after the operation (a child of the current one) with tracing, a timer
 * {@code grpc.scale.operation} tagged with the operation and its outcome with metrics. The outcome is
 * {@code success}, {@code error}, or {@code rejected} when a circuit breaker refused the call
 * ({@link CircuitBreakerOpenException}); errors are recorded on the observation.
 *
 * <p>Cost per run: one {@link OperationContext} and the observation itself, plus what the registry's handlers
 * allocate; the default convention's key values are built once per operation name and outcome and reused
 * (each {@code OperationObservations} has a default convention of its own, so that cache lives as long as
 * it). A no-op registry runs the operation directly, with no allocation; a registry whose handlers take no
 * such context gets Micrometer's no-op observation.
 *
 * <p>Operation names become tag values: keep them few and fixed ({@code get-user-profile}), never built
 * from request data.
 */
public final class OperationObservations {

	/** The key telling how the operation ended; {@link DefaultOperationObservationConvention#OUTCOME}. */
	public static final String OUTCOME = DefaultOperationObservationConvention.OUTCOME;

	private final ObservationRegistry registry;

	private final @Nullable OperationObservationConvention convention;

	private final DefaultOperationObservationConvention defaultConvention = new DefaultOperationObservationConvention();

	/**
	 * Creates the helper with the default convention.
	 * @param registry where observations are recorded
	 */
	public OperationObservations(ObservationRegistry registry) {
		this(registry, null);
	}

	/**
	 * Creates the helper.
	 * @param registry where observations are recorded
	 * @param convention names and tags the observations; {@code null} for
	 * {@link DefaultOperationObservationConvention}
	 */
	public OperationObservations(ObservationRegistry registry, @Nullable OperationObservationConvention convention) {
		this.registry = Objects.requireNonNull(registry, "registry");
		this.convention = convention;
	}

	/**
	 * Runs {@code body} inside a {@code grpc.scale.operation} observation of {@code operationName}.
	 * @param operationName the operation's name
	 * @param body what to run
	 * @param <T> the result type
	 * @return what the body returned
	 * @throws Exception what the body threw, unchanged
	 */
	public <T> T observe(String operationName, Callable<T> body) throws Exception {
		if (this.registry.isNoop()) {
			return body.call();
		}
		Observation observation = start(operationName);
		try (Observation.Scope scope = observation.openScope()) {
			T result = body.call();
			outcome(observation, OperationOutcome.SUCCESS);
			return result;
		}
		catch (Exception ex) {
			failed(observation, ex);
			throw ex;
		}
		finally {
			observation.stop();
		}
	}

	/**
	 * Runs {@code body} inside a {@code grpc.scale.operation} observation of {@code operationName} that
	 * ends when the returned stage completes.
	 * @param operationName the operation's name
	 * @param body supplies the stage
	 * @param <T> the result type
	 * @return a stage completing as the body's does
	 */
	public <T> CompletionStage<T> observeAsync(String operationName, Supplier<? extends CompletionStage<T>> body) {
		if (this.registry.isNoop()) {
			return body.get();
		}
		Observation observation = start(operationName);
		CompletionStage<T> stage;
		try (Observation.Scope scope = observation.openScope()) {
			stage = body.get();
		}
		catch (RuntimeException ex) {
			failed(observation, ex);
			observation.stop();
			return CompletableFuture.failedFuture(ex);
		}
		return stage.whenComplete((result, failure) -> {
			if (failure == null) {
				outcome(observation, OperationOutcome.SUCCESS);
			}
			else {
				failed(observation, unwrap(failure));
			}
			observation.stop();
		});
	}

	private Observation start(String operationName) {
		return Observation
			.createNotStarted(this.convention, this.defaultConvention,
					() -> new OperationContext(operationName), this.registry)
			.start();
	}

	/** Records the outcome on the context; a no-op observation (no handler took it) has none to record on. */
	private static void outcome(Observation observation, OperationOutcome outcome) {
		if (observation.getContext() instanceof OperationContext context) {
			context.setOutcome(outcome);
		}
	}

	private static void failed(Observation observation, Throwable failure) {
		outcome(observation, (failure instanceof CircuitBreakerOpenException) ? OperationOutcome.REJECTED
				: OperationOutcome.ERROR);
		observation.error(failure);
	}

	private static Throwable unwrap(Throwable failure) {
		return (failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null)
				? failure.getCause() : failure;
	}

}
