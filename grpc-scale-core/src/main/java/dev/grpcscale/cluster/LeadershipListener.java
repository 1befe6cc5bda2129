package dev.grpcscale.cluster;

/**
 * Receives this node's leadership changes; register it with {@link LeaderElection#addListener}.
 *
 * <p>Ordering and threads: each listener receives its events one at a time, in the order they happened,
 * never on the election's own thread but on a listener thread ({@code grpc-scale-cluster-events-<nodeId>-<n>},
 * or {@link LeaderElectionSettings#listenerExecutor()}). Each listener has its own queue: a slow or blocked
 * listener delays only its own later events, never renewals, {@link LeaderElection#isLeader()}, other
 * listeners, or the revocation of a {@link LeaderTask}. There is no ordering between different listeners.
 * Hand long work to an executor, or use {@link LeaderTask}. An exception thrown by a listener is logged and
 * does not affect other listeners or the election. {@link LeaderElection#isLeader()} never waits for
 * listeners: it can turn false before the {@code REVOKED} event is delivered. {@link LeaderElection#leave()}
 * waits (up to {@code electionTimeout}) until listeners have received the {@code REVOKED} event.
 */
@FunctionalInterface
public interface LeadershipListener {

	/**
	 * Called on each leadership change of this node.
	 * @param event the change
	 */
	void onLeadershipChange(LeadershipEvent event);

}
