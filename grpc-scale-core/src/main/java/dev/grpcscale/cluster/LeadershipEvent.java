package dev.grpcscale.cluster;

import java.util.Objects;

/**
 * A change of this node's leadership, delivered to {@link LeadershipListener}s.
 *
 * @param type what happened
 * @param nodeId this node's id
 * @param fencingToken the token of the leadership concerned
 * @param atNanos when it happened, on the election's ticker; for {@link Type#GRANTED} it is taken before
 * {@link LeaderElection#isLeader()} starts returning {@code true}
 * @param validUntilNanos for {@code GRANTED} and {@code RENEWED}: until when the lease is valid, on the
 * election's ticker; for {@code REVOKED}: the last validity this node held (it never claimed leadership
 * after it)
 */
public record LeadershipEvent(Type type, String nodeId, long fencingToken, long atNanos, long validUntilNanos) {

	/** Checks the arguments. */
	public LeadershipEvent {
		Objects.requireNonNull(type, "type");
		Objects.requireNonNull(nodeId, "nodeId");
	}

	/** The kind of a {@link LeadershipEvent}. */
	public enum Type {

		/** This node became leader. */
		GRANTED,

		/** The leader's lease was renewed; sent on every confirmed renewal, ignore it if not needed. */
		RENEWED,

		/**
		 * This node is no longer leader: it left, its lease lapsed (no confirmed renewal within
		 * {@code electionTimeout - safetyMargin}) or the backend reported its session lost.
		 */
		REVOKED

	}

}
