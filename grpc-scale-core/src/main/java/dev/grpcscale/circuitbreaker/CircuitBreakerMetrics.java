package dev.grpcscale.circuitbreaker;

import java.util.List;
import java.util.Objects;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/**
 * A snapshot of the breakers of a {@link GrpcCircuitBreakers}, as returned by
 * {@link GrpcCircuitBreakers#metrics()} and {@code EnhancedServiceManager.getCircuitBreakerMetrics()}.
 *
 * <p>The totals add up the cumulative counts of the {@link CircuitBreakerKind#SERVICE SERVICE} and
 * {@link CircuitBreakerKind#OPERATION OPERATION} breakers, so that each call counts once. Instance
 * breakers are listed but left out of the totals: the calls they see also pass through their service's
 * breaker when the channel has a {@link CircuitBreakerClientInterceptor}. {@code totalRequests} is
 * {@code successfulRequests + failedRequests + rejectedRequests + ignoredRequests}.
 *
 * @param totalRequests every call the breakers saw, since they were created
 * @param successfulRequests calls permitted that did not fail
 * @param failedRequests calls permitted that failed
 * @param rejectedRequests calls a breaker did not permit
 * @param ignoredRequests calls permitted that were not counted (cancelled by the client)
 * @param breakers every breaker, sorted by name
 */
public record CircuitBreakerMetrics(long totalRequests, long successfulRequests, long failedRequests,
		long rejectedRequests, long ignoredRequests, List<Breaker> breakers) {

	/** Copies the list. */
	public CircuitBreakerMetrics {
		breakers = List.copyOf(breakers);
	}

	/**
	 * One breaker.
	 *
	 * @param name the breaker's name
	 * @param kind what it guards
	 * @param state its current state. An open breaker turns half-open lazily, at the first call attempted
	 * after the recovery timeout, so it may read {@code OPEN} past that time.
	 * @param failureRate the percentage of failed calls among the calls in the current window (the
	 * monitoring period; the trial call when half-open), 0 when the window is empty
	 * @param bufferedCalls calls in the current window
	 * @param failedCalls failed calls in the current window
	 * @param successfulRequests cumulative calls permitted that did not fail
	 * @param failedRequests cumulative calls permitted that failed
	 * @param rejectedRequests cumulative calls not permitted
	 * @param ignoredRequests cumulative calls permitted but not counted
	 */
	public record Breaker(String name, CircuitBreakerKind kind, CircuitBreaker.State state, float failureRate,
			int bufferedCalls, int failedCalls, long successfulRequests, long failedRequests, long rejectedRequests,
			long ignoredRequests) {

		/** Checks the arguments. */
		public Breaker {
			Objects.requireNonNull(name, "name");
			Objects.requireNonNull(kind, "kind");
			Objects.requireNonNull(state, "state");
		}

		/** Cumulative calls this breaker saw. */
		public long totalRequests() {
			return this.successfulRequests + this.failedRequests + this.rejectedRequests + this.ignoredRequests;
		}

	}

}
