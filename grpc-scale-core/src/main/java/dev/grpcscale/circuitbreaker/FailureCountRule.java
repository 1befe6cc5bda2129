package dev.grpcscale.circuitbreaker;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.TransitionCheckResult;
import io.github.resilience4j.core.functions.Either;
import org.jspecify.annotations.Nullable;

/**
 * The configuration a {@link GrpcCircuitBreakers} breaker is created with: its named configuration with the
 * breakers' clock and, when that configuration carries {@link CircuitBreakerSettings#FAILURE_COUNT_RULE}, the
 * rule bound to the breaker: open once, inside the window, at least {@code minimumNumberOfCalls} calls
 * failed, and wait the configuration's recovery timeout. resilience4j runs the rule after each recorded
 * failure, inside its CAS-guarded closed state.
 */
final class FailureCountRule {

	private FailureCountRule() {
	}

	/**
	 * The configuration of a breaker about to be created.
	 * @param named the configuration of the breaker's name
	 * @param clock the clock of the window and of the open state's wait
	 * @param self the breaker, set once created; the rule does nothing before
	 * @return the configuration to create the breaker with
	 */
	static CircuitBreakerConfig configFor(CircuitBreakerConfig named, Clock clock,
			AtomicReference<@Nullable CircuitBreaker> self) {
		CircuitBreakerConfig.Builder config = CircuitBreakerConfig.from(named).clock(clock);
		if (named.getTransitionOnResult() == CircuitBreakerSettings.FAILURE_COUNT_RULE) {
			int threshold = named.getMinimumNumberOfCalls();
			Duration wait = BreakerEntry.recoveryTimeout(named);
			config.transitionOnResult((result) -> check(threshold, wait, self, result));
		}
		return config.build();
	}

	private static TransitionCheckResult check(int threshold, Duration wait,
			AtomicReference<@Nullable CircuitBreaker> self, Either<Object, Throwable> result) {
		CircuitBreaker breaker = self.get();
		if (breaker != null && result.isRight() && breaker.getState() == CircuitBreaker.State.CLOSED
				&& breaker.getMetrics().getNumberOfFailedCalls() >= threshold) {
			return TransitionCheckResult.transitionToOpenAndWaitFor(wait);
		}
		return TransitionCheckResult.noTransition();
	}

}
