package dev.grpcscale.test.consul;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ConsulDurationTests {

	@Test
	void wholeMillisecondsSecondsAndMinutesAreRead() {
		assertThat(ConsulDuration.parse("250ms")).isEqualTo(Duration.ofMillis(250));
		assertThat(ConsulDuration.parse("15s")).isEqualTo(Duration.ofSeconds(15));
		assertThat(ConsulDuration.parse("5m")).isEqualTo(Duration.ofMinutes(5));
		assertThat(ConsulDuration.parse("0s")).isZero();
	}

	@Test
	void otherNotationsAreRejected() {
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulDuration.parse("1h")).withMessage("wait: 1h");
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulDuration.parse("1.5s"));
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulDuration.parse("10"));
	}

}
