package dev.grpcscale.internal;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class IdleMarkTests {

	private static final long IDLE = Duration.ofMinutes(5).toNanos();

	private static final long SWEEP = IDLE / 2;

	@Test
	void aServiceNeverReadIsIdleOneTimeoutAfterItWasCreated() {
		IdleMark mark = new IdleMark(1_000);
		assertThat(mark.idleFor(1_000 + SWEEP, IDLE)).isFalse();
		assertThat(mark.idleFor(1_000 + IDLE - 1, IDLE)).isFalse();
		assertThat(mark.idleFor(1_000 + IDLE, IDLE)).isTrue();
	}

	@Test
	void aReadCountsAtTheSweepThatSeesItSoTheServiceIsKeptOneTimeoutFromThere() {
		IdleMark mark = new IdleMark(0);
		mark.read();
		assertThat(mark.idleFor(SWEEP, IDLE)).isFalse();
		assertThat(mark.idleFor(2 * SWEEP, IDLE)).isFalse();
		assertThat(mark.idleFor(3 * SWEEP - 1, IDLE)).isFalse();
		assertThat(mark.idleFor(3 * SWEEP, IDLE)).isTrue();
	}

	@Test
	void readsBetweenEverySweepKeepTheServiceHoweverLongTheyGoOn() {
		IdleMark mark = new IdleMark(0);
		for (int sweep = 1; sweep <= 100; sweep++) {
			mark.read();
			mark.read();
			assertThat(mark.idleFor(sweep * SWEEP, IDLE)).as("sweep %d", sweep).isFalse();
		}
		assertThat(mark.idleFor(102 * SWEEP, IDLE)).isTrue();
	}

	@Test
	void aReadIsCountedByOneSweepOnly() {
		IdleMark mark = new IdleMark(0);
		mark.read();
		assertThat(mark.idleFor(SWEEP, IDLE)).isFalse();
		assertThat(mark.idleFor(SWEEP + IDLE, IDLE)).isTrue();
	}

}
