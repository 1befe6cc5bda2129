package dev.grpcscale.health;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class HealthCheckOptionsTests {

	@Test
	void defaultsAreThirtySecondsFiveSecondsThreeRetriesAndTheWholeServer() {
		HealthCheckOptions options = HealthCheckOptions.builder().build();
		assertThat(options).isEqualTo(HealthCheckOptions.defaults());
		assertThat(options.interval()).isEqualTo(Duration.ofSeconds(30));
		assertThat(options.timeout()).isEqualTo(Duration.ofSeconds(5));
		assertThat(options.retries()).isEqualTo(3);
		assertThat(options.endpoint()).isEmpty();
	}

	@Test
	void builderSetsEveryField() {
		HealthCheckOptions options = HealthCheckOptions.builder()
			.interval(Duration.ofMillis(200))
			.timeout(Duration.ofMillis(100))
			.retries(2)
			.endpoint("grpc.testing.SimpleService")
			.build();
		assertThat(options).isEqualTo(new HealthCheckOptions(Duration.ofMillis(200), Duration.ofMillis(100), 2,
				"grpc.testing.SimpleService"));
		assertThat(options.toBuilder().retries(5).build().retries()).isEqualTo(5);
		assertThat(HealthCheckOptions.of(Duration.ofSeconds(1), Duration.ofSeconds(2), 1).endpoint()).isEmpty();
	}

	@Test
	void settersFailFastNamingTheFieldTheValueAndWhatIsExpected() {
		HealthCheckOptions.Builder builder = HealthCheckOptions.builder();
		assertThatIllegalArgumentException().isThrownBy(() -> builder.interval(Duration.ZERO))
			.withMessage("interval: PT0S (expected: > 0)");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.timeout(Duration.ofMillis(-1)))
			.withMessage("timeout: PT-0.001S (expected: > 0)");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.retries(0))
			.withMessage("retries: 0 (expected: >= 1)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new HealthCheckOptions(Duration.ofSeconds(1), Duration.ZERO, 1, ""))
			.withMessage("timeout: PT0S (expected: > 0)");
	}

	@Test
	void timeoutLongerThanIntervalIsAllowedBecauseProbesNeverOverlap() {
		assertThat(HealthCheckOptions.of(Duration.ofSeconds(1), Duration.ofSeconds(2), 1).timeout())
			.isEqualTo(Duration.ofSeconds(2));
	}

}
