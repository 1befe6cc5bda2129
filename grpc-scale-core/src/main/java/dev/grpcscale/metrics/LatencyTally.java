package dev.grpcscale.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * A running count and total of measured durations, which a Micrometer {@code FunctionTimer} reads at
 * scrape time: recording is two {@link LongAdder} additions, with no meter lookup and no allocation.
 * Thread-safe.
 */
public final class LatencyTally {

	private final LongAdder count = new LongAdder();

	private final LongAdder totalNanos = new LongAdder();

	/**
	 * Records one duration.
	 * @param nanos the duration in nanoseconds; a negative one counts as zero
	 */
	public void record(long nanos) {
		this.totalNanos.add(Math.max(0, nanos));
		this.count.increment();
	}

	/** How many durations were recorded. */
	public long count() {
		return this.count.sum();
	}

	/** The sum of the recorded durations, in nanoseconds. */
	public long totalNanos() {
		return this.totalNanos.sum();
	}

}
