package dev.grpcscale.health;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;

/** The status of one instance as its probes' results move it, without a prober or a server. */
class InstanceHealthStateTests {

	private static final ServiceInstance INSTANCE = new ServiceInstance("svc", "a", "10.0.0.1", 9090, Map.of(),
			InstanceStatus.UP, Instant.EPOCH);

	private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

	private static final Duration LATENCY = Duration.ofMillis(3);

	private final InstanceHealthState state = new InstanceHealthState(INSTANCE);

	@Test
	void newInstanceIsUpWithNoProbeRecorded() {
		assertThat(this.state.isDown()).isFalse();
		assertThat(this.state.health())
			.isEqualTo(new InstanceHealth("svc", "a", "10.0.0.1:9090", InstanceStatus.UP, 0, null, null, null));
	}

	@Test
	void isMarkedDownByExactlyRetriesFailuresInARow() {
		assertThat(this.state.record("NOT_SERVING", NOW, LATENCY, 3)).isFalse();
		assertThat(this.state.record("NOT_SERVING", NOW, LATENCY, 3)).isFalse();
		assertThat(this.state.isDown()).isFalse();

		assertThat(this.state.record("UNAVAILABLE: gone", NOW.plusSeconds(1), LATENCY, 3)).isTrue();
		assertThat(this.state.isDown()).isTrue();
		assertThat(this.state.health()).isEqualTo(new InstanceHealth("svc", "a", "10.0.0.1:9090", InstanceStatus.DOWN,
				3, NOW.plusSeconds(1), LATENCY, "UNAVAILABLE: gone"));
	}

	@Test
	void successBeforeRetriesIsReachedStartsTheCountAgain() {
		this.state.record("NOT_SERVING", NOW, LATENCY, 2);
		this.state.record(null, NOW, LATENCY, 2);
		assertThat(this.state.health().consecutiveFailures()).isZero();

		assertThat(this.state.record("NOT_SERVING", NOW, LATENCY, 2)).isFalse();
		assertThat(this.state.isDown()).isFalse();
	}

	@Test
	void furtherFailuresWhileDownChangeOnlyTheCountAndTheLastError() {
		this.state.record("NOT_SERVING", NOW, LATENCY, 1);

		assertThat(this.state.record("DEADLINE_EXCEEDED", NOW, LATENCY, 1)).isFalse();
		assertThat(this.state.health().status()).isEqualTo(InstanceStatus.DOWN);
		assertThat(this.state.health().consecutiveFailures()).isEqualTo(2);
		assertThat(this.state.health().lastError()).isEqualTo("DEADLINE_EXCEEDED");
	}

	@Test
	void oneSuccessBringsADownInstanceBackUp() {
		this.state.record("NOT_SERVING", NOW, LATENCY, 2);
		this.state.record("NOT_SERVING", NOW, LATENCY, 2);

		assertThat(this.state.record(null, NOW.plusSeconds(2), Duration.ofMillis(1), 2)).isTrue();
		assertThat(this.state.health()).isEqualTo(new InstanceHealth("svc", "a", "10.0.0.1:9090", InstanceStatus.UP, 0,
				NOW.plusSeconds(2), Duration.ofMillis(1), null));
		assertThat(this.state.record(null, NOW, LATENCY, 2)).isFalse();
	}

}
