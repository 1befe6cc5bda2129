package dev.grpcscale.cluster;

import java.util.List;
import java.util.Optional;

import dev.grpcscale.Subscription;

/**
 * Cluster membership and leader election on a backend (memory, etcd, ...). A node {@link #join() joins}:
 * it announces itself (node id, address, heartbeat) and, unless
 * {@link LeaderElectionSettings#leaderElection()} is off, campaigns for leadership; it {@link #leave()
 * leaves} at shutdown, which resigns leadership at once.
 *
 * <p><b>Leadership is a lease.</b> The leader renews it every {@code heartbeatInterval}; {@link #isLeader()}
 * turns false on its own, checked against a monotonic ticker at every call, once the last confirmed renewal
 * (timed from when it was <em>sent</em>) is older than {@code electionTimeout - safetyMargin}. The backend
 * lets another node take over only once {@code electionTimeout} has passed since the backend received that
 * renewal, so a paused or cut-off leader stops claiming leadership before another can be elected. A pause
 * between {@code isLeader()} and the action it guards can still let a deposed leader act late; the fencing
 * token covers that: pass {@link #ownFencingToken()} (or {@link Leadership#fencingToken()}, the token of a
 * {@link LeaderTask} or of the {@code GRANTED} event) to downstream writes and have them reject a token lower
 * than one they have seen; never {@link #highestFencingTokenSeen()}. Tokens grow from one leader to the next.
 *
 * <p>After losing its session or lease, a joined node campaigns again with a new session. Implementations
 * are thread-safe; {@link #isLeader()} and {@link #leadership()} never block.
 */
public interface LeaderElection extends AutoCloseable {

	/**
	 * Starts announcing this node and, if enabled, campaigning. Returns at once; leadership, if won, is
	 * reported to listeners. Joining twice does nothing; a node may join again after {@link #leave()}.
	 * @throws IllegalStateException if closed
	 */
	void join();

	/**
	 * Stops campaigning, resigns leadership if held and withdraws this node's membership. {@link #isLeader()}
	 * is false when this returns, and listeners have been told (they run on their own threads: this waits for
	 * them, and for the backend's acknowledgement, up to {@code electionTimeout} in all; the lease expires
	 * anyway). Called from a listener it does not wait for listeners. Idempotent.
	 */
	void leave();

	/**
	 * Whether this node is the leader now: it won the election and its lease, as counted on this node's
	 * monotonic ticker, has not lapsed. Never blocks.
	 */
	boolean isLeader();

	/** This node's current leadership, empty when {@link #isLeader()} is false. Never blocks. */
	Optional<Leadership> leadership();

	/**
	 * The current leader: this node while {@link #isLeader()}, else the leader last observed from the
	 * backend (at most a heartbeat interval old).
	 */
	Optional<LeaderInfo> currentLeader();

	/**
	 * The fencing token of this node's own current leadership: what to pass with every downstream write
	 * guarded by leadership, so the store can reject a deposed leader. {@code 0} while this node does not lead
	 * ({@link #isLeader()} false), which a store that accepts only tokens at least as high as the highest it has
	 * seen rejects. The same value as {@code leadership().map(Leadership::fencingToken).orElse(0L)}; prefer the
	 * token handed to a {@link LeaderTask} or carried by the {@code GRANTED} event, which belongs to the
	 * leadership the work started under. Never blocks.
	 * @return this node's leadership token, or {@code 0}
	 */
	default long ownFencingToken() {
		return leadership().map(Leadership::fencingToken).orElse(0L);
	}

	/**
	 * The highest fencing token this node has seen, its own or another leader's; it never decreases;
	 * {@code 0} before any. For status views and monitoring only: <b>never fence with it</b>: on a deposed
	 * node it is the new leader's token, so a write carrying it would pass the store's check.
	 * @return the highest token seen
	 */
	long highestFencingTokenSeen();

	/**
	 * The fencing token to write with: now {@link #ownFencingToken()}, {@code 0} when not leading.
	 * @return {@link #ownFencingToken()}
	 * @deprecated the name does not say whose token it is, and it used to return the highest token seen,
	 * which on a deposed node is the new leader's and defeats fencing; use {@link #ownFencingToken()} to fence
	 * and {@link #highestFencingTokenSeen()} for status views
	 */
	@Deprecated(since = "0.1", forRemoval = true)
	default long fencingToken() {
		return ownFencingToken();
	}

	/**
	 * The announced members, then each expected node of {@link LeaderElectionSettings#nodes()} that did not
	 * announce itself (as {@link MemberStatus#DEAD}), sorted by node id.
	 */
	List<ClusterMember> members();

	/** A snapshot for status views: members, leader, whether this node leads, its own and the highest token. */
	ClusterInfo clusterInfo();

	/**
	 * Registers a listener for this node's leadership changes. If this node is leader already, the listener
	 * first receives a {@code GRANTED} event for the current leadership.
	 * @param listener the listener
	 * @return a handle that removes the listener
	 */
	Subscription addListener(LeadershipListener listener);

	/** This election's settings. */
	LeaderElectionSettings settings();

	/** {@link #leave() Leaves} and stops every thread this election started. Idempotent. */
	@Override
	void close();

}
