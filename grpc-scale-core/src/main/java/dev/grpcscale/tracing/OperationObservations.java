package dev.grpcscale.tracing;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;

import dev.grpcscale.circuitbreaker.CircuitBreakerOpenException;

/**
 * Runs operations inside a Micrometer {@link Observation} named after the operation: a span (a child of
 * the current one) with tracing, a timer with metrics. The observation carries one low-cardinality key,
 * {@value #OUTCOME}: {@code success}, {@code error}, or {@code rejected} when a circuit breaker refused
 * the call ({@link CircuitBreakerOpenException}); errors are recorded on it.
 *
 * <p>Operation names become span and meter names: keep them few and fixed ({@code get-user-profile}),
 * never built from request data.
 */
public final class OperationObservations {

	/** The key telling how the operation ended. */
	public static final String OUTCOME = "grpc.scale.outcome";

	private static final KeyValue SUCCESS = KeyValue.of(OUTCOME, "success");

	private static final KeyValue ERROR = KeyValue.of(OUTCOME, "error");

	private static final KeyValue REJECTED = KeyValue.of(OUTCOME, "rejected");

	private final ObservationRegistry registry;

	/**
	 * Creates the helper.
	 * @param registry where observations are recorded
	 */
	public OperationObservations(ObservationRegistry registry) {
		this.registry = Objects.requireNonNull(registry, "registry");
	}

	/**
	 * Runs {@code body} inside an observation named {@code operationName}.
	 * @param operationName the observation's name
	 * @param body what to run
	 * @param <T> the result type
	 * @return what the body returned
	 * @throws Exception what the body threw, unchanged
	 */
	public <T> T observe(String operationName, Callable<T> body) throws Exception {
		Observation observation = Observation.createNotStarted(operationName, this.registry).start();
		try (Observation.Scope scope = observation.openScope()) {
			T result = body.call();
			observation.lowCardinalityKeyValue(SUCCESS);
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
	 * Runs {@code body} inside an observation named {@code operationName} that ends when the returned
	 * stage completes.
	 * @param operationName the observation's name
	 * @param body supplies the stage
	 * @param <T> the result type
	 * @return a stage completing as the body's does
	 */
	public <T> CompletionStage<T> observeAsync(String operationName, Supplier<? extends CompletionStage<T>> body) {
		Observation observation = Observation.createNotStarted(operationName, this.registry).start();
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
				observation.lowCardinalityKeyValue(SUCCESS);
			}
			else {
				failed(observation, unwrap(failure));
			}
			observation.stop();
		});
	}

	private static void failed(Observation observation, Throwable failure) {
		observation.lowCardinalityKeyValue((failure instanceof CircuitBreakerOpenException) ? REJECTED : ERROR);
		observation.error(failure);
	}

	private static Throwable unwrap(Throwable failure) {
		return (failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null)
				? failure.getCause() : failure;
	}

}
