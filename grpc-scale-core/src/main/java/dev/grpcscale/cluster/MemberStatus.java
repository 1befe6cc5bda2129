package dev.grpcscale.cluster;

/**
 * How recently a cluster member was heard from, derived from its last heartbeat: {@link #ALIVE} within two
 * heartbeat intervals (and the election timeout), {@link #SUSPECT} within the election timeout,
 * {@link #DEAD} beyond it or never heard from.
 */
public enum MemberStatus {

	/** Heard from within {@code min(2 x heartbeatInterval, electionTimeout)}. */
	ALIVE,

	/** Missed heartbeats, but heard from within {@code electionTimeout}. */
	SUSPECT,

	/** Not heard from within {@code electionTimeout}, or an expected node that never announced itself. */
	DEAD

}
