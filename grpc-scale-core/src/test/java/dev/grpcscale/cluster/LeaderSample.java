package dev.grpcscale.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One look at the {@link LeaderElection#leadership()} of several nodes in this JVM, for tests that ask "who
 * leads now?" and check that at most one does. The nodes are read one after another, so a stall of the test
 * thread between two reads (a busy machine can cause one of seconds) can show two nodes claiming leadership
 * although the first stopped before the second began. So each read is bracketed with {@link System#nanoTime()}
 * (the elections' ticker): a leadership seen valid after {@code t0} was held without a break from its
 * {@code grantedAtNanos} until at least {@code t0} (a lapsed leadership is never restored; a new one has a new
 * token and grant time). Two such spans that intersect are two leaders at once, an {@link AssertionError};
 * two that do not are a hand-over the reads straddled, and the sample shows no single leader.
 */
public final class LeaderSample {

	private LeaderSample() {
	}

	/**
	 * The one node that leads, as seen by one read of every node.
	 * @param <E> the election type
	 * @param elections the nodes
	 * @return the leader and its leadership, or empty if none leads or a hand-over happened during the reads
	 * @throws AssertionError if two nodes provably claimed leadership at the same moment
	 */
	public static <E extends LeaderElection> Optional<Held<E>> leaderAmong(Iterable<E> elections) {
		List<Held<E>> held = new ArrayList<>();
		for (E election : elections) {
			long before = System.nanoTime();
			Optional<Leadership> leadership = election.leadership();
			if (leadership.isPresent()) {
				Held<E> seen = new Held<>(election, leadership.get(), before);
				for (Held<E> other : held) {
					if (seen.overlaps(other)) {
						throw new AssertionError("two leaders at once: " + other + " and " + seen);
					}
				}
				held.add(seen);
			}
		}
		return (held.size() == 1) ? Optional.of(held.get(0)) : Optional.empty();
	}

	/**
	 * A leadership seen in a sample.
	 * @param <E> the election type
	 * @param election the node
	 * @param leadership what {@code leadership()} returned
	 * @param readFromNanos when the read started: the leadership was held from its grant until at least then
	 */
	public record Held<E extends LeaderElection>(E election, Leadership leadership, long readFromNanos) {

		/** The end of the span this read proves the leadership was held for. */
		long heldUntilNanos() {
			return Math.max(this.leadership.grantedAtNanos(), this.readFromNanos);
		}

		boolean overlaps(Held<?> other) {
			return this.leadership.grantedAtNanos() - other.heldUntilNanos() < 0
					&& other.leadership.grantedAtNanos() - heldUntilNanos() < 0;
		}

		public long fencingToken() {
			return this.leadership.fencingToken();
		}

		@Override
		public String toString() {
			return this.election.settings().nodeId() + "#" + this.leadership.fencingToken() + "["
					+ this.leadership.grantedAtNanos() + ", >= " + heldUntilNanos() + "]";
		}

	}

}
