package dev.grpcscale.cluster;

/**
 * Receives this node's leadership changes; register it with {@link LeaderElection#addListener}.
 *
 * <p>Events arrive one at a time, in order, on the election's own thread: a listener must return quickly
 * and must not block (hand long work to an executor, or use {@link LeaderTask}). An exception thrown by a
 * listener is logged and does not affect other listeners or the election. {@link LeaderElection#isLeader()}
 * never waits for listeners: it can turn false before the {@code REVOKED} event is delivered.
 */
@FunctionalInterface
public interface LeadershipListener {

	/**
	 * Called on each leadership change of this node.
	 * @param event the change
	 */
	void onLeadershipChange(LeadershipEvent event);

}
