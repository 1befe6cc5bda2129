package dev.grpcscale.consul;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * Pauses between attempts: the step doubles from {@code initial} with every failed attempt up to {@code max},
 * and each pause is the step less a random part of up to {@link #JITTER} of it, so that clients that failed
 * together do not retry together. Pauses never exceed {@code max}. Immutable; the attempt count comes from the
 * caller (Failsafe's execution context), so a success resets it.
 */
final class JitteredBackoff {

	/** The largest share of a step taken off at random. */
	static final double JITTER = 0.5;

	private final long initialNanos;

	private final long maxNanos;

	private final DoubleSupplier random;

	/**
	 * A backoff.
	 * @param initial the first step, above 0
	 * @param max the largest step, at least {@code initial}
	 * @param random values in {@code [0, 1)}
	 */
	JitteredBackoff(Duration initial, Duration max, DoubleSupplier random) {
		this.initialNanos = positive("initial", initial).toNanos();
		this.maxNanos = positive("max", max).toNanos();
		if (this.maxNanos < this.initialNanos) {
			throw new IllegalArgumentException("max: " + max + " (expected: >= initial " + initial + ")");
		}
		this.random = Objects.requireNonNull(random, "random");
	}

	/**
	 * The pause after a failed attempt.
	 * @param failedAttempts how many attempts in a row failed, at least 1
	 * @return a pause in {@code [step * (1 - JITTER), step]} where {@code step = min(max, initial * 2^(failedAttempts - 1))}
	 */
	Duration delay(int failedAttempts) {
		return Duration.ofNanos(delayNanos(failedAttempts));
	}

	long delayNanos(int failedAttempts) {
		long step = step(Math.max(1, failedAttempts));
		double share = Math.min(Math.max(this.random.getAsDouble(), 0), 1);
		return step - (long) (step * JITTER * share);
	}

	private long step(int failedAttempts) {
		long step = this.initialNanos;
		for (int i = 1; i < failedAttempts && step < this.maxNanos; i++) {
			step = (step > this.maxNanos / 2) ? this.maxNanos : step * 2;
		}
		return Math.min(step, this.maxNanos);
	}

	private static Duration positive(String name, Duration value) {
		Objects.requireNonNull(value, name);
		if (value.isZero() || value.isNegative()) {
			throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
		}
		return value;
	}

}
