package dev.grpcscale.cluster;

/**
 * This node's current leadership, from {@link LeaderElection#leadership()}: the fencing token to pass to
 * downstream writes, and the moment, on the election's monotonic ticker, after which this node stops
 * claiming leadership unless its lease is renewed first.
 *
 * @param fencingToken the token of this leadership; it grows from one leader to the next
 * @param grantedAtNanos when this node became leader, on the election's ticker
 * @param validUntilNanos the end of the lease as this node counts it, on the election's ticker: the send
 * time of the last confirmed renewal plus {@code electionTimeout - safetyMargin}
 */
public record Leadership(long fencingToken, long grantedAtNanos, long validUntilNanos) {

	/**
	 * Whether the lease is still valid at {@code nowNanos} (same ticker).
	 * @param nowNanos the current ticker value
	 * @return {@code true} strictly before {@link #validUntilNanos()}
	 */
	public boolean isValidAt(long nowNanos) {
		return nowNanos - validUntilNanos < 0;
	}

}
