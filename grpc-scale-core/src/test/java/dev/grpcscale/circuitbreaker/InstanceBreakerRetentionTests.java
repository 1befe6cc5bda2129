package dev.grpcscale.circuitbreaker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An instance breaker asked for by name while a sweep of expired breakers runs in another thread.
 */
class InstanceBreakerRetentionTests {

	private static final Duration RETENTION = Duration.ofSeconds(1);

	/** How long the asking thread lets the sweeping one run before it goes on (a sweep takes microseconds). */
	private static final long SWEEP_ALLOWANCE_MILLIS = 1_000;

	/**
	 * The sweep runs at the asking thread's first or second read of the clock: wherever the asking thread
	 * reads the time, before or under the lock where it notes the use, or after it.
	 */
	@ParameterizedTest(name = "sweep at read {0}")
	@ValueSource(ints = { 1, 2 })
	void aBreakerAskedForWhileASweepRemovesItsExpiredEntryIsNeverOneTheSweepRemoved(int sweepAtRead)
			throws Exception {
		SweepingClock clock = new SweepingClock();
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder().clock(clock).instanceRetention(RETENTION).build();
		String name = GrpcCircuitBreakers.instanceBreakerName("orders", "i-1");
		breakers.instanceBreaker("orders", "i-1");
		// a sweep now finds nothing expired and sets the next one a quarter of the retention later
		clock.advance(RETENTION.minusMillis(100));
		assertThat(breakers.removeExpiredInstanceBreakers()).isZero();
		// the breaker is now expired, but no sweep is due yet: asking for it does not sweep by itself
		clock.advance(Duration.ofMillis(100));
		clock.sweepAtRead(sweepAtRead, Thread.currentThread(), breakers);

		CircuitBreaker handedOut = breakers.instanceBreaker("orders", "i-1");

		clock.awaitSweep();
		assertThat(breakers.registry().find(name)).as("the breaker handed out is still the registered one")
			.containsSame(handedOut);
	}

	/**
	 * A clock that moves only when told to; armed, the n-th time the asking thread reads it, it lets another
	 * thread sweep the expired breakers and waits for that sweep (or its allowance, when the sweep waits for a
	 * lock the asking thread holds). When the asking thread reads it fewer times, the sweep runs after.
	 */
	private static final class SweepingClock extends Clock {

		private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

		private final AtomicInteger reads = new AtomicInteger();

		private volatile int sweepAtRead;

		private volatile Thread asking;

		private volatile GrpcCircuitBreakers breakers;

		private final CompletableFuture<Integer> sweep = new CompletableFuture<>();

		void advance(Duration duration) {
			this.now.updateAndGet((current) -> current.plus(duration));
		}

		void sweepAtRead(int read, Thread asking, GrpcCircuitBreakers breakers) {
			this.sweepAtRead = read;
			this.breakers = breakers;
			this.asking = asking;
		}

		void awaitSweep() throws Exception {
			this.asking = null;
			if (this.reads.get() < this.sweepAtRead) {
				startSweep();
			}
			this.sweep.get(10, TimeUnit.SECONDS);
		}

		private void startSweep() {
			new Thread(() -> this.sweep.complete(this.breakers.removeExpiredInstanceBreakers())).start();
		}

		@Override
		public Instant instant() {
			if (Thread.currentThread() == this.asking && this.reads.incrementAndGet() == this.sweepAtRead) {
				startSweep();
				try {
					this.sweep.get(SWEEP_ALLOWANCE_MILLIS, TimeUnit.MILLISECONDS);
				}
				catch (TimeoutException ex) {
					// the sweep waits for the map's lock this thread holds: it goes on after this read
				}
				catch (Exception ex) {
					throw new IllegalStateException(ex);
				}
			}
			return this.now.get();
		}

		@Override
		public ZoneId getZone() {
			return ZoneOffset.UTC;
		}

		@Override
		public Clock withZone(ZoneId zone) {
			return this;
		}

	}

}
