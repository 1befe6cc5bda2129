package dev.grpcscale.circuitbreaker;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class CircuitBreakerSettingsTests {

	@Test
	void defaultsAreFiveFailuresInSixtySecondsAndThirtySecondsRecovery() {
		CircuitBreakerSettings settings = CircuitBreakerSettings.defaults();
		assertThat(settings.failureThreshold()).isEqualTo(5);
		assertThat(settings.monitoringPeriod()).isEqualTo(Duration.ofSeconds(60));
		assertThat(settings.recoveryTimeout()).isEqualTo(Duration.ofSeconds(30));
		assertThat(settings.expectedErrors()).containsExactlyInAnyOrder(Status.Code.UNAVAILABLE,
				Status.Code.DEADLINE_EXCEEDED);
		assertThat(settings.failureRateThreshold()).isNull();
	}

	@Test
	void configWritesTheSeedRuleInResilience4jsTerms() {
		CircuitBreakerConfig config = CircuitBreakerSettings.builder()
			.failureThreshold(3)
			.monitoringPeriod(Duration.ofSeconds(10))
			.recoveryTimeout(Duration.ofMillis(2500))
			.expectedErrors(List.of(Status.Code.INTERNAL))
			.build()
			.toConfig();
		assertThat(config.getMinimumNumberOfCalls()).isEqualTo(3);
		assertThat(config.getSlidingWindowSize()).isEqualTo(10);
		assertThat(config.getSlidingWindowType()).isEqualTo(SlidingWindowType.TIME_BASED);
		assertThat(config.getSlidingWindowSynchronizationStrategy())
			.isEqualTo(SlidingWindowSynchronizationStrategy.SYNCHRONIZED);
		assertThat(config.getWaitIntervalFunctionInOpenState().apply(1)).isEqualTo(2500L);
		assertThat(config.getPermittedNumberOfCallsInHalfOpenState()).isEqualTo(1);
		assertThat(config.getFailureRateThreshold()).isEqualTo(100f);
		assertThat(config.getTransitionOnResult()).isSameAs(CircuitBreakerSettings.FAILURE_COUNT_RULE);
		assertThat(config.getRecordExceptionPredicate().test(Status.INTERNAL.asRuntimeException())).isTrue();
		assertThat(config.getRecordExceptionPredicate().test(Status.UNAVAILABLE.asRuntimeException())).isFalse();
		assertThat(config.getRecordExceptionPredicate().test(new IOException("down"))).isTrue();
	}

	@Test
	void rateVariantCarriesTheRateAndNoCountRule() {
		CircuitBreakerConfig config = CircuitBreakerSettings.builder().failureRateThreshold(40f).build().toConfig();
		assertThat(config.getFailureRateThreshold()).isEqualTo(40f);
		assertThat(config.getTransitionOnResult()).isNotSameAs(CircuitBreakerSettings.FAILURE_COUNT_RULE);
	}

	@Test
	void plainResilience4jBreakerIgnoresTheCountRuleMarkerAndAppliesTheRate() {
		// 2 failures among 3 calls: grpc-scale's breakers open (threshold 2); a plain breaker needs 100%
		CircuitBreaker plain = CircuitBreaker.of("plain",
				CircuitBreakerSettings.builder().failureThreshold(2).build().toConfig());
		plain.onSuccess(0, TimeUnit.MILLISECONDS);
		plain.onError(0, TimeUnit.MILLISECONDS, Status.UNAVAILABLE.asRuntimeException());
		plain.onError(0, TimeUnit.MILLISECONDS, Status.UNAVAILABLE.asRuntimeException());
		assertThat(plain.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
			.defaults(CircuitBreakerSettings.builder().failureThreshold(2).build())
			.build();
		CircuitBreaker ours = breakers.operationBreaker("ours");
		ours.onSuccess(0, TimeUnit.MILLISECONDS);
		ours.onError(0, TimeUnit.MILLISECONDS, Status.UNAVAILABLE.asRuntimeException());
		ours.onError(0, TimeUnit.MILLISECONDS, Status.UNAVAILABLE.asRuntimeException());
		assertThat(ours.getState()).isEqualTo(CircuitBreaker.State.OPEN);
	}

	@Test
	void settersRejectBadValuesNamingSettingValueAndExpectation() {
		CircuitBreakerSettings.Builder builder = CircuitBreakerSettings.builder();
		assertThatIllegalArgumentException().isThrownBy(() -> builder.recoveryTimeout(Duration.ZERO))
			.withMessage("recoveryTimeout: PT0S (expected: > 0)");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.recoveryTimeout(Duration.ofNanos(1_500_000)))
			.withMessage("recoveryTimeout: PT0.0015S (expected: whole milliseconds)");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.failureThreshold(0))
			.withMessage("failureThreshold: 0 (expected: >= 1)");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.monitoringPeriod(Duration.ofMillis(1500)))
			.withMessage("monitoringPeriod: PT1.5S (expected: a whole number of seconds, >= 1s)");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.monitoringPeriod(Duration.ZERO))
			.withMessage("monitoringPeriod: PT0S (expected: a whole number of seconds, >= 1s)");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.failureRateThreshold(0f))
			.withMessage("failureRateThreshold: 0.0 (expected: > 0 and <= 100)");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.failureRateThreshold(100.5f))
			.withMessage("failureRateThreshold: 100.5 (expected: > 0 and <= 100)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> builder.expectedErrors(List.of(Status.Code.OK, Status.Code.UNAVAILABLE)))
			.withMessage("expectedErrors: [OK, UNAVAILABLE] (expected: error status codes, not OK)");
	}

	@Test
	void statusExceptionsCountByExpectedCodeAndOtherExceptionsByPredicate() {
		CircuitBreakerSettings settings = CircuitBreakerSettings.builder()
			.expectedErrors(Set.of(Status.Code.UNAVAILABLE))
			.recordExceptions((ex) -> ex instanceof IOException)
			.build();
		assertThat(settings.isFailure(Status.UNAVAILABLE.asRuntimeException())).isTrue();
		assertThat(settings.isFailure(Status.UNAVAILABLE.asException())).isTrue();
		assertThat(settings.isFailure(Status.DEADLINE_EXCEEDED.asRuntimeException())).isFalse();
		assertThat(settings.isFailure(Status.INVALID_ARGUMENT.asRuntimeException())).isFalse();
		assertThat(settings.isFailure(new IOException("down"))).isTrue();
		assertThat(settings.isFailure(new CompletionException(new IOException("down")))).isTrue();
		assertThat(settings.isFailure(new IllegalStateException("bug"))).isFalse();
	}

	@Test
	void toBuilderDerivesAnOverrideChangingOnlyWhatIsSet() {
		CircuitBreakerSettings base = CircuitBreakerSettings.builder().failureThreshold(3).build();
		CircuitBreakerSettings derived = base.toBuilder().recoveryTimeout(Duration.ofSeconds(5)).build();
		assertThat(derived.failureThreshold()).isEqualTo(3);
		assertThat(derived.recoveryTimeout()).isEqualTo(Duration.ofSeconds(5));
		assertThat(base.toBuilder().build()).isEqualTo(base);
	}

}
