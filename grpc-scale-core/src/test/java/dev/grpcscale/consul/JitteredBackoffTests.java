package dev.grpcscale.consul;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class JitteredBackoffTests {

	@Test
	void stepDoublesFromInitialOnEachFailureAndIsCappedAtMax() {
		JitteredBackoff backoff = new JitteredBackoff(Duration.ofMillis(100), Duration.ofMillis(700), () -> 0);

		assertThat(backoff.delay(1)).isEqualTo(Duration.ofMillis(100));
		assertThat(backoff.delay(2)).isEqualTo(Duration.ofMillis(200));
		assertThat(backoff.delay(3)).isEqualTo(Duration.ofMillis(400));
		assertThat(backoff.delay(4)).isEqualTo(Duration.ofMillis(700));
		assertThat(backoff.delay(60)).isEqualTo(Duration.ofMillis(700));
		assertThat(backoff.delay(Integer.MAX_VALUE)).isEqualTo(Duration.ofMillis(700));
	}

	@Test
	void jitterTakesAtMostHalfOfTheStepAndNeverAddsToIt() {
		JitteredBackoff most = new JitteredBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.999_999);
		JitteredBackoff half = new JitteredBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.5);

		assertThat(most.delay(1)).isBetween(Duration.ofMillis(50), Duration.ofMillis(51));
		assertThat(half.delay(1)).isEqualTo(Duration.ofMillis(75));
		assertThat(half.delay(2)).isEqualTo(Duration.ofMillis(150));
		assertThat(most.delay(10)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
	}

	@Test
	void randomDelaysStayWithinTheirStepsBounds() {
		JitteredBackoff backoff = new JitteredBackoff(Duration.ofMillis(10), Duration.ofMillis(80),
				() -> java.util.concurrent.ThreadLocalRandom.current().nextDouble());
		for (int i = 0; i < 1000; i++) {
			int failures = 1 + (i % 6);
			long step = Math.min(80, 10L << (failures - 1));
			assertThat(backoff.delay(failures)).isBetween(Duration.ofMillis(step).dividedBy(2), Duration.ofMillis(step));
		}
	}

	@Test
	void rejectsNonPositiveDurationsAndAMaxBelowInitial() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new JitteredBackoff(Duration.ZERO, Duration.ofSeconds(1), () -> 0))
			.withMessage("initial: PT0S (expected: > 0)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new JitteredBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1), () -> 0))
			.withMessage("max: PT1S (expected: >= initial PT2S)");
	}

}
