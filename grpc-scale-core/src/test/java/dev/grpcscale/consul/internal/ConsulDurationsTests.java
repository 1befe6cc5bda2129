package dev.grpcscale.consul.internal;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ConsulDurationsTests {

	@Test
	void formatsInTheLargestWholeUnitGoParsesAndRoundsSubMillisecondsUp() {
		assertThat(ConsulDurations.format(Duration.ofMinutes(1))).isEqualTo("1m");
		assertThat(ConsulDurations.format(Duration.ofSeconds(90))).isEqualTo("90s");
		assertThat(ConsulDurations.format(Duration.ofSeconds(55))).isEqualTo("55s");
		assertThat(ConsulDurations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
		assertThat(ConsulDurations.format(Duration.ofNanos(1))).isEqualTo("1ms");
		assertThat(ConsulDurations.format(Duration.ofNanos(2_000_001))).isEqualTo("3ms");
	}

}
