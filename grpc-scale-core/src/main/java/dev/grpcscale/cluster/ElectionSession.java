package dev.grpcscale.cluster;

import io.grpc.SynchronizationContext.ScheduledHandle;
import org.jspecify.annotations.Nullable;

/**
 * One session of a {@link LeaseStateMachine}: a lease and this node's candidacy on it. Confined to the
 * election's context.
 *
 * @param <S> the provider's session handle
 */
final class ElectionSession<S> {

	final long generation;

	private final String nodeId;

	/** The backend's handle, once opened; {@code null} before and after. */
	@Nullable S handle;

	/** The send time of the last renewal the backend confirmed, on the election's ticker. */
	long confirmedSentNanos;

	/** The leadership held on this session, if any. */
	@Nullable Leadership leadership;

	/** The check at the end of {@link #leadership}'s lease. */
	@Nullable ScheduledHandle expiryCheck;

	ElectionSession(long generation, String nodeId) {
		this.generation = generation;
		this.nodeId = nodeId;
	}

	@Override
	public String toString() {
		return "session " + this.generation + " of " + this.nodeId;
	}

}
