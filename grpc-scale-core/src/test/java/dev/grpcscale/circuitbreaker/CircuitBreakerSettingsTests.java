package dev.grpcscale.circuitbreaker;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;

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
