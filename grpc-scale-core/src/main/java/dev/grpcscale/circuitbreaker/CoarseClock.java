package dev.grpcscale.circuitbreaker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.internal.DaemonThreads;

/**
 * A clock that reads its source once per {@link #resolution()} instead of on every call: {@link #instant()}
 * returns the instant of the last {@link #tick()}, a volatile read that allocates nothing. Breakers read
 * the time on every recorded call (resilience4j's time-based window asks its clock for the current second),
 * which costs a system clock read and an {@code Instant} per call; on this clock it costs neither.
 *
 * <pre>{@code
 * CoarseClock clock = CoarseClock.start(Clock.systemUTC(), CoarseClock.DEFAULT_RESOLUTION);
 * GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder().clock(clock).build();
 * ...
 * clock.close(); // stops the refreshing thread
 * }</pre>
 *
 * <p><b>What it changes.</b> The time this clock tells lags its source by at most one resolution (plus
 * however late the refreshing thread is scheduled on a busy machine). For a breaker that means: a call is
 * counted in the window's one-second bucket of up to a resolution earlier, so it stops counting between
 * {@code monitoringPeriod - 1s} and {@code monitoringPeriod + resolution} after it ended; an open breaker
 * lets its trial call through up to a resolution after {@code recoveryTimeout}. With the default 10 ms
 * against one-second buckets and timeouts of seconds this is within the window's own granularity. The
 * time a call takes is not read from this clock.
 *
 * <p>{@link #start(Clock, Duration)} refreshes it on a daemon thread named {@code grpc-scale-coarse-clock}
 * until {@link #close()}; {@link #manual(Clock)} only on {@link #tick()} (for tests that drive time). Closed,
 * it keeps telling the last instant it read. Thread-safe.
 */
public final class CoarseClock extends Clock implements AutoCloseable {

	/** The default {@link #resolution()}: 10 milliseconds. */
	public static final Duration DEFAULT_RESOLUTION = Duration.ofMillis(10);

	private final Clock source;

	private final Duration resolution;

	private final @Nullable ScheduledExecutorService ownScheduler;

	private final @Nullable ScheduledFuture<?> refresh;

	private volatile Instant now;

	private CoarseClock(Clock source, Duration resolution, @Nullable ScheduledExecutorService scheduler,
			boolean ownsScheduler) {
		this.source = source;
		this.resolution = resolution;
		this.now = source.instant();
		this.ownScheduler = ownsScheduler ? scheduler : null;
		long nanos = resolution.toNanos();
		this.refresh = (scheduler != null)
				? scheduler.scheduleAtFixedRate(this::tick, nanos, nanos, TimeUnit.NANOSECONDS) : null;
	}

	/**
	 * A clock refreshed from {@code source} every {@code resolution} by a daemon thread of its own, named
	 * {@code grpc-scale-coarse-clock}; {@link #close()} stops the thread.
	 * @param source the clock to read, usually {@link Clock#systemUTC()}
	 * @param resolution how often the source is read: at least 1 ms, at most 1 s
	 * @return the started clock
	 * @throws IllegalArgumentException if the resolution is outside [1ms, 1s]
	 */
	public static CoarseClock start(Clock source, Duration resolution) {
		Objects.requireNonNull(source, "source");
		checkResolution(resolution);
		ScheduledExecutorService scheduler = Executors
			.newSingleThreadScheduledExecutor(DaemonThreads.named("grpc-scale-coarse-clock"));
		return new CoarseClock(source, resolution, scheduler, true);
	}

	/**
	 * A clock refreshed from {@code source} every {@code resolution} on the given scheduler, which stays the
	 * caller's: {@link #close()} cancels the refresh and leaves the scheduler running.
	 * @param source the clock to read
	 * @param resolution how often the source is read: at least 1 ms, at most 1 s
	 * @param scheduler runs the refresh
	 * @return the started clock
	 * @throws IllegalArgumentException if the resolution is outside [1ms, 1s]
	 */
	public static CoarseClock start(Clock source, Duration resolution, ScheduledExecutorService scheduler) {
		Objects.requireNonNull(source, "source");
		checkResolution(resolution);
		return new CoarseClock(source, resolution, Objects.requireNonNull(scheduler, "scheduler"), false);
	}

	/**
	 * A clock that reads {@code source} only when {@link #tick()} is called (its {@link #resolution()} is
	 * zero): for tests that move time by hand.
	 * @param source the clock to read
	 * @return the clock, holding the source's instant now
	 */
	public static CoarseClock manual(Clock source) {
		return new CoarseClock(Objects.requireNonNull(source, "source"), Duration.ZERO, null, false);
	}

	private static void checkResolution(Duration resolution) {
		Objects.requireNonNull(resolution, "resolution");
		if (resolution.compareTo(Duration.ofMillis(1)) < 0 || resolution.compareTo(Duration.ofSeconds(1)) > 0) {
			throw new IllegalArgumentException("resolution: " + resolution + " (expected: >= 1ms and <= 1s)");
		}
	}

	/** Reads the source clock now; what {@link #instant()} tells until the next tick. */
	public void tick() {
		this.now = this.source.instant();
	}

	/** How often the source is read; zero for a {@link #manual(Clock)} clock. */
	public Duration resolution() {
		return this.resolution;
	}

	/** The source's instant at the last tick. */
	@Override
	public Instant instant() {
		return this.now;
	}

	@Override
	public long millis() {
		return this.now.toEpochMilli();
	}

	@Override
	public ZoneId getZone() {
		return this.source.getZone();
	}

	/** This clock's time in another zone; still refreshed, and closed, through this clock. */
	@Override
	public Clock withZone(ZoneId zone) {
		if (zone.equals(getZone())) {
			return this;
		}
		CoarseClock coarse = this;
		return new Clock() {

			@Override
			public ZoneId getZone() {
				return zone;
			}

			@Override
			public Clock withZone(ZoneId other) {
				return coarse.withZone(other);
			}

			@Override
			public Instant instant() {
				return coarse.instant();
			}

		};
	}

	/** Stops refreshing; the clock keeps the last instant it read. */
	@Override
	public void close() {
		if (this.refresh != null) {
			this.refresh.cancel(false);
		}
		if (this.ownScheduler != null) {
			this.ownScheduler.shutdownNow();
		}
	}

	@Override
	public String toString() {
		return "CoarseClock[" + this.source + ", resolution " + this.resolution + "]";
	}

}
