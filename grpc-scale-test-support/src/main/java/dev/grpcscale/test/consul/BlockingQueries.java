package dev.grpcscale.test.consul;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.jspecify.annotations.Nullable;

/**
 * The agent's one monitor and what blocking queries wait on: the Raft index stand-in that every write
 * advances, a failure status that answers every request, and whether the agent is stopped. Every state
 * store of the agent changes its state holding {@link #monitor()} and calls {@link #changed()}, which wakes
 * the queries blocked in {@link #awaitAbove}.
 */
final class BlockingQueries {

	/** The body of every answer while a failure is set, as Consul answers without a cluster leader. */
	static final String FAILURE_BODY = "rpc error: No cluster leader";

	private final Object monitor = new Object();

	/** The Raft index stand-in: grows with every write; guarded by {@link #monitor}. */
	private long raftIndex = 100;

	private volatile int failStatus;

	private volatile boolean stopped;

	/** The monitor that guards the agent's state. */
	Object monitor() {
		return this.monitor;
	}

	/** The index the next write gets; the caller holds {@link #monitor()}. */
	long upcoming() {
		return this.raftIndex + 1;
	}

	/** Advances the index for a write and returns it; the caller holds {@link #monitor()}. */
	long advance() {
		return ++this.raftIndex;
	}

	/** Wakes every blocked query to look again; the caller holds {@link #monitor()}. */
	void changed() {
		this.monitor.notifyAll();
	}

	/** Answers every request with this status from now on (0: answer normally); wakes blocked queries. */
	void failWith(int status) {
		synchronized (this.monitor) {
			this.failStatus = status;
			this.monitor.notifyAll();
		}
	}

	/** The failure answer, or {@code null} when none is set. */
	@Nullable Reply failure() {
		int status = this.failStatus;
		return (status != 0) ? Reply.of(status, FAILURE_BODY) : null;
	}

	/**
	 * Ends every blocked query unanswered, as closed connections would.
	 * @return {@code false} when the agent was stopped already
	 */
	boolean stop() {
		synchronized (this.monitor) {
			if (this.stopped) {
				return false;
			}
			this.stopped = true;
			this.monitor.notifyAll();
			return true;
		}
	}

	/** Lets queries block again, after a restart. */
	void restart() {
		this.stopped = false;
	}

	/**
	 * A blocking query's wait, holding {@link #monitor()}: until {@code index} is above {@code requested}
	 * (at once when {@code requested} is 0), the wait is over, a failure is set or the agent stops.
	 * @return {@code false} when the serving thread was interrupted
	 */
	boolean awaitAbove(long requested, Duration wait, LongSupplier index) {
		long deadline = System.nanoTime() + wait.toNanos();
		while (requested > 0 && index.getAsLong() <= requested && this.failStatus == 0 && !this.stopped) {
			long remaining = deadline - System.nanoTime();
			if (remaining <= 0) {
				return true;
			}
			try {
				TimeUnit.NANOSECONDS.timedWait(this.monitor, remaining);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
		}
		return true;
	}

	/**
	 * What a blocking query answers once its wait is over.
	 * @param reply its answer from the state it read
	 * @return that answer, the failure answer when one was set meanwhile, or {@code null} (no answer) when the
	 * agent stopped
	 */
	@Nullable Reply afterWait(Reply reply) {
		if (this.stopped) {
			return null;
		}
		Reply failure = failure();
		return (failure != null) ? failure : reply;
	}

	/** The {@code index} parameter of a blocking query, 0 when absent. */
	static long requestedIndex(Map<String, String> query) {
		return Long.parseLong(query.getOrDefault("index", "0"));
	}

	/** The {@code wait} parameter of a blocking query, Consul's default of 5 minutes when absent. */
	static Duration requestedWait(Map<String, String> query) {
		return ConsulDuration.parse(query.getOrDefault("wait", "5m"));
	}

}
