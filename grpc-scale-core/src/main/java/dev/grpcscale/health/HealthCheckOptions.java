package dev.grpcscale.health;

import java.time.Duration;
import java.util.Objects;

/**
 * How instances are probed: every {@code interval}, a {@code grpc.health.v1.Health/Check} for the health
 * service name {@code endpoint}, bounded by a deadline of {@code timeout}; an instance is marked down after
 * {@code retries} consecutive failed probes and back up after one successful probe. These are the
 * {@code grpc.scale.health-check.*} settings.
 *
 * <pre>{@code
 * HealthCheckOptions options = HealthCheckOptions.builder()
 *     .interval(Duration.ofSeconds(10))
 *     .timeout(Duration.ofSeconds(2))
 *     .build();
 * }</pre>
 *
 * <p>A timeout longer than the interval is allowed: probes of one instance never overlap, so the next
 * probe then starts as soon as the previous one ends.
 *
 * @param interval time between the starts of two probes of one instance; default 30s
 * @param timeout deadline of one probe; default 5s
 * @param retries consecutive failed probes that mark an instance down; default 3
 * <p>Panic mode: when no instance of a service passes its probes, or the share that passes is at or below
 * {@code panicThreshold} percent, health checks are ignored for that service and every instance the backend
 * reports is used, rather than none (a broken probe, a health service that flips for the whole fleet, or a
 * network problem between this application and the fleet must not take the service down). It ends when the
 * share passing is above the threshold again.
 *
 * @param interval time between the starts of two probes of one instance; default 30s
 * @param timeout deadline of one probe; default 5s
 * @param retries consecutive failed probes that mark an instance down; default 3
 * @param endpoint the health service name probed; default {@code ""} (the server as a whole)
 * @param panicMode whether panic mode is on; default {@code true}
 * @param panicThreshold the percentage of passing instances at or below which a service is in panic;
 * default 0, panic only when none passes
 */
public record HealthCheckOptions(Duration interval, Duration timeout, int retries, String endpoint, boolean panicMode,
		double panicThreshold) {

	/** Default {@link #interval()}: 30 seconds. */
	public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);

	/** Default {@link #timeout()}: 5 seconds. */
	public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

	/** Default {@link #retries()}: 3. */
	public static final int DEFAULT_RETRIES = 3;

	/** Default {@link #endpoint()}: {@code ""}, the health of the server as a whole. */
	public static final String DEFAULT_ENDPOINT = "";

	/** Default {@link #panicThreshold()}: 0, panic only when no instance passes its probes. */
	public static final double DEFAULT_PANIC_THRESHOLD = 0.0;

	private static final HealthCheckOptions DEFAULTS = new HealthCheckOptions(DEFAULT_INTERVAL, DEFAULT_TIMEOUT,
			DEFAULT_RETRIES, DEFAULT_ENDPOINT);

	/**
	 * Validates the options.
	 * @throws IllegalArgumentException if a duration is not positive, {@code retries} is below 1 or the
	 * panic threshold is not a percentage, naming the field, its value and what is expected
	 */
	public HealthCheckOptions {
		checkPositive("interval", interval);
		checkPositive("timeout", timeout);
		checkRetries(retries);
		Objects.requireNonNull(endpoint, "endpoint");
		checkPercentage(panicThreshold);
	}

	/**
	 * Options with panic mode on at the default threshold.
	 * @throws IllegalArgumentException if a value is invalid
	 */
	public HealthCheckOptions(Duration interval, Duration timeout, int retries, String endpoint) {
		this(interval, timeout, retries, endpoint, true, DEFAULT_PANIC_THRESHOLD);
	}

	/**
	 * Whether a service with {@code passing} of {@code total} instances passing their probes is in panic.
	 * @param passing instances passing their probes
	 * @param total instances the backend reports
	 * @return whether every instance is to be used
	 */
	public boolean isPanic(int passing, int total) {
		return this.panicMode && total > 0 && (passing == 0 || passing * 100.0 / total <= this.panicThreshold);
	}

	/** The defaults: 30s interval, 5s timeout, 3 retries, endpoint {@code ""}. */
	public static HealthCheckOptions defaults() {
		return DEFAULTS;
	}

	/**
	 * Options with the given interval, timeout and retries, probing endpoint {@code ""}.
	 * @throws IllegalArgumentException if a value is invalid
	 */
	public static HealthCheckOptions of(Duration interval, Duration timeout, int retries) {
		return new HealthCheckOptions(interval, timeout, retries, DEFAULT_ENDPOINT);
	}

	/** A builder starting from the defaults. */
	public static Builder builder() {
		return new Builder(DEFAULTS);
	}

	/** A builder starting from these options. */
	public Builder toBuilder() {
		return new Builder(this);
	}

	private static Duration checkPositive(String name, Duration value) {
		Objects.requireNonNull(value, name);
		if (value.isZero() || value.isNegative()) {
			throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
		}
		return value;
	}

	private static double checkPercentage(double threshold) {
		if (!(threshold >= 0.0 && threshold <= 100.0)) {
			throw new IllegalArgumentException("panicThreshold: " + threshold + " (expected: a percentage from 0 to 100)");
		}
		return threshold;
	}

	private static int checkRetries(int retries) {
		if (retries < 1) {
			throw new IllegalArgumentException("retries: " + retries + " (expected: >= 1)");
		}
		return retries;
	}

	/** Builder of {@link HealthCheckOptions}; every setter fails fast on an invalid value. */
	public static final class Builder {

		private Duration interval;

		private Duration timeout;

		private int retries;

		private String endpoint;

		private boolean panicMode;

		private double panicThreshold;

		private Builder(HealthCheckOptions from) {
			this.interval = from.interval;
			this.timeout = from.timeout;
			this.retries = from.retries;
			this.endpoint = from.endpoint;
			this.panicMode = from.panicMode;
			this.panicThreshold = from.panicThreshold;
		}

		/**
		 * Time between the starts of two probes of one instance; default 30s.
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder interval(Duration interval) {
			this.interval = checkPositive("interval", interval);
			return this;
		}

		/**
		 * Deadline of one probe; default 5s.
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder timeout(Duration timeout) {
			this.timeout = checkPositive("timeout", timeout);
			return this;
		}

		/**
		 * Consecutive failed probes that mark an instance down; default 3.
		 * @throws IllegalArgumentException if below 1
		 */
		public Builder retries(int retries) {
			this.retries = checkRetries(retries);
			return this;
		}

		/** The health service name probed; default {@code ""} (the server as a whole). */
		public Builder endpoint(String endpoint) {
			this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
			return this;
		}

		/**
		 * Whether every instance of a service is used when too few pass their probes; default {@code true}.
		 */
		public Builder panicMode(boolean panicMode) {
			this.panicMode = panicMode;
			return this;
		}

		/**
		 * The percentage of passing instances at or below which a service is in panic; default 0 (only when
		 * none passes).
		 * @throws IllegalArgumentException if not from 0 to 100
		 */
		public Builder panicThreshold(double panicThreshold) {
			this.panicThreshold = checkPercentage(panicThreshold);
			return this;
		}

		/** Builds the options. */
		public HealthCheckOptions build() {
			return new HealthCheckOptions(this.interval, this.timeout, this.retries, this.endpoint, this.panicMode,
					this.panicThreshold);
		}

	}

}
