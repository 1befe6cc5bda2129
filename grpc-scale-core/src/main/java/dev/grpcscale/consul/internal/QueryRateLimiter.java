package dev.grpcscale.consul.internal;

import java.util.function.LongSupplier;

/**
 * The token bucket Consul's blocking-query guide recommends: a burst of two queries goes out at once,
 * then at most one query per interval, so a churning result degrades into polling instead of a busy
 * loop while the quiet case never waits. Used by one watch thread only; not thread-safe.
 */
public final class QueryRateLimiter {

	/** Queries that go out at once before the rate applies. */
	public static final int BURST = 2;

	private final long intervalNanos;

	private final LongSupplier nanoTicker;

	private double tokens = BURST;

	private long refilledAt;

	/**
	 * A limiter with a full burst.
	 * @param intervalNanos one query per interval once the burst is spent
	 * @param nanoTicker monotonic nanosecond ticker
	 */
	public QueryRateLimiter(long intervalNanos, LongSupplier nanoTicker) {
		this.intervalNanos = intervalNanos;
		this.nanoTicker = nanoTicker;
		this.refilledAt = nanoTicker.getAsLong();
	}

	/**
	 * Takes one token.
	 * @return how long to wait, in nanoseconds, before sending the query (0 when a token was available)
	 */
	public long reserve() {
		long now = this.nanoTicker.getAsLong();
		if (now > this.refilledAt) {
			this.tokens = Math.min(BURST, this.tokens + (double) (now - this.refilledAt) / this.intervalNanos);
			this.refilledAt = now;
		}
		if (this.tokens >= 1) {
			this.tokens -= 1;
			return 0;
		}
		long wait = (long) Math.ceil((1 - this.tokens) * this.intervalNanos);
		// the token that accrues during the wait is the one spent
		this.tokens = 0;
		this.refilledAt = now + wait;
		return wait;
	}

}
