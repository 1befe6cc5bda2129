package dev.grpcscale.circuitbreaker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The coarse clock, and what the breakers see on it between two ticks. That the window's and the recovery
 * timeout's boundaries hold on it once it ticked is shown by {@link GrpcCircuitBreakersTests}, whose boundary
 * tests run on the mock clock and on a coarse clock over it.
 */
class CoarseClockTests {

	private static final String OP = "load-prices";

	private final MutableClock source = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

	private final CoarseClock clock = CoarseClock.manual(this.source);

	/** Moves the source and lets the coarse clock see it, as its refreshing thread would. */
	private void advanceAndTick(Duration duration) {
		this.source.advance(duration);
		this.clock.tick();
	}

	private GrpcCircuitBreakers breakers(CircuitBreakerSettings settings) {
		return GrpcCircuitBreakers.builder().defaults(settings).clock(this.clock).build();
	}

	private static void fail(GrpcCircuitBreakers breakers) {
		assertThatThrownBy(() -> breakers.execute(OP, () -> {
			throw Status.UNAVAILABLE.asRuntimeException();
		})).isInstanceOf(RuntimeException.class);
	}

	@Test
	void tellsTheSourcesInstantOfTheLastTickOnly() {
		Instant start = this.clock.instant();
		this.source.advance(Duration.ofSeconds(5));
		assertThat(this.clock.instant()).isEqualTo(start);
		assertThat(this.clock.millis()).isEqualTo(start.toEpochMilli());
		this.clock.tick();
		assertThat(this.clock.instant()).isEqualTo(start.plusSeconds(5));
		assertThat(this.clock.instant()).isSameAs(this.clock.instant());
	}

	@Test
	void failureStillCountsUntilTheClockTicksPastTheMonitoringPeriod() {
		GrpcCircuitBreakers breakers = breakers(
				CircuitBreakerSettings.builder().failureThreshold(2).monitoringPeriod(Duration.ofSeconds(1)).build());
		fail(breakers);
		// the source has moved past the period, the coarse clock not yet: the window has not moved either
		this.source.advance(Duration.ofSeconds(1));
		fail(breakers);
		assertThat(breakers.operationBreaker(OP).getState()).isEqualTo(State.OPEN);
	}

	@Test
	void openBreakerStaysOpenUntilTheClockTicksPastTheRecoveryTimeout() throws Exception {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.defaults());
		for (int i = 0; i < 5; i++) {
			fail(breakers);
		}
		CircuitBreaker breaker = breakers.operationBreaker(OP);
		advanceAndTick(Duration.ofSeconds(30));
		assertThatThrownBy(() -> breakers.execute(OP, () -> "ok")).isInstanceOf(CircuitBreakerOpenException.class);
		this.source.advance(Duration.ofMillis(1));
		// past the timeout by the source, not by the coarse clock until it ticks
		assertThatThrownBy(() -> breakers.execute(OP, () -> "ok")).isInstanceOf(CircuitBreakerOpenException.class);
		this.clock.tick();
		assertThat(breakers.execute(OP, () -> "ok")).isEqualTo("ok");
		assertThat(breaker.getState()).isEqualTo(State.CLOSED);
	}

	@Test
	void startedClockFollowsItsSourceOnItsOwnThreadUntilClosed() {
		Set<Thread> before = clockThreads();
		CoarseClock started = CoarseClock.start(this.source, Duration.ofMillis(1));
		Set<Thread> own = clockThreads();
		try {
			own.removeAll(before);
			Instant start = started.instant();
			this.source.advance(Duration.ofHours(1));
			await().atMost(Duration.ofSeconds(10)).until(() -> started.instant().equals(start.plusSeconds(3600)));
			own = clockThreads();
			own.removeAll(before);
			assertThat(own).singleElement().matches(Thread::isDaemon);
		}
		finally {
			started.close();
		}
		Thread thread = own.iterator().next();
		await().atMost(Duration.ofSeconds(10)).until(() -> !thread.isAlive());
	}

	private static Set<Thread> clockThreads() {
		Set<Thread> threads = new HashSet<>();
		Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter((thread) -> thread.getName().equals("grpc-scale-coarse-clock"))
			.forEach(threads::add);
		return threads;
	}

	@Test
	void clockOnAGivenSchedulerStopsOnCloseAndLeavesTheSchedulerRunning() {
		ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
		try {
			CoarseClock started = CoarseClock.start(this.source, Duration.ofMillis(1), scheduler);
			this.source.advance(Duration.ofSeconds(1));
			Instant moved = this.source.instant();
			await().atMost(Duration.ofSeconds(10)).until(() -> started.instant().equals(moved));
			started.close();
			// a refresh running while close() was called may still finish: wait for the instant to settle
			await().atMost(Duration.ofSeconds(10)).until(() -> {
				Instant seen = started.instant();
				this.source.advance(Duration.ofSeconds(1));
				return started.instant().equals(seen) && !seen.equals(this.source.instant());
			});
			assertThat(scheduler.isShutdown()).isFalse();
		}
		finally {
			scheduler.shutdownNow();
		}
	}

	@Test
	void resolutionOutsideOneMillisecondToOneSecondIsRejected() {
		assertThatIllegalArgumentException().isThrownBy(() -> CoarseClock.start(Clock.systemUTC(), Duration.ofNanos(999_999)))
			.withMessage("resolution: PT0.000999999S (expected: >= 1ms and <= 1s)");
		assertThatIllegalArgumentException().isThrownBy(() -> CoarseClock.start(Clock.systemUTC(), Duration.ofMillis(1001)))
			.withMessage("resolution: PT1.001S (expected: >= 1ms and <= 1s)");
	}

	@Test
	void inAnotherZoneItTellsTheSameInstant() {
		Clock paris = this.clock.withZone(ZoneId.of("Europe/Paris"));
		this.source.advance(Duration.ofSeconds(7));
		this.clock.tick();
		assertThat(paris.instant()).isEqualTo(this.clock.instant());
		assertThat(paris.getZone()).isEqualTo(ZoneId.of("Europe/Paris"));
	}

}
