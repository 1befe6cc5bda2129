package dev.grpcscale.cluster.consul;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.internal.ElectionTimer;
import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.consul.internal.QueryRateLimiter;

/**
 * The blocking reads of a {@link ConsulLeaderElection}'s leader key ({@code index}/{@code wait}), which report a
 * new leader to the {@link ConsulElectionView} as soon as the key changes. Reads are paced by a
 * {@link QueryRateLimiter} (at most one per heartbeat interval or per second, whichever is shorter), as
 * discovery's are; an index that went backwards or is missing restarts from index 0, as Consul advises; a failed
 * read is restarted with jittered exponential backoff from {@value #INITIAL_BACKOFF_MILLIS} ms up to the heartbeat
 * interval. {@link #start()} begins a new series of reads and ends the one before; {@link #stop()} ends it.
 */
final class ConsulLeaderWatch {

	/** Logs under the election's name, where the Consul election has always logged. */
	private static final Logger logger = LoggerFactory.getLogger(ConsulLeaderElection.class);

	private static final long INITIAL_BACKOFF_MILLIS = 250;

	/** {@code wait} of the blocking reads of the leader key. */
	static final Duration WAIT = Duration.ofSeconds(10);

	/** First pause before restarting a failed blocking read of the leader key. */
	static final Duration INITIAL_BACKOFF = Duration.ofMillis(INITIAL_BACKOFF_MILLIS);

	private final ConsulClient client;

	private final String key;

	private final LeaderElectionSettings settings;

	private final ConsulElectionView view;

	private final ElectionTimer timer;

	private final AtomicLong generation = new AtomicLong();

	/**
	 * The watch of one node.
	 * @param client the election's client
	 * @param keys the node's keys
	 * @param settings the node's settings: its heartbeat interval, ticker and id (for logs)
	 * @param view where the reads go
	 * @param timer the election's timers
	 */
	ConsulLeaderWatch(ConsulClient client, ConsulElectionKeys keys, LeaderElectionSettings settings,
			ConsulElectionView view, ElectionTimer timer) {
		this.client = client;
		this.key = keys.leader();
		this.settings = settings;
		this.view = view;
		this.timer = timer;
	}

	/** Starts a new series of reads from index 0; the previous series, if any, stops. */
	void start() {
		long current = this.generation.incrementAndGet();
		QueryRateLimiter limiter = new QueryRateLimiter(
				Math.min(this.settings.heartbeatInterval().toNanos(), Duration.ofSeconds(1).toNanos()),
				this.settings.ticker());
		watch(current, limiter, 0);
	}

	/** Stops the reads: one in flight is left to finish, and its answer is dropped. */
	void stop() {
		this.generation.incrementAndGet();
	}

	private void watch(long current, QueryRateLimiter limiter, long index) {
		if (this.generation.get() != current) {
			return;
		}
		long wait = limiter.reserve();
		if (wait > 0) {
			this.timer.schedule(() -> watchNow(current, limiter, index), Duration.ofNanos(wait));
		}
		else {
			watchNow(current, limiter, index);
		}
	}

	private void watchNow(long current, QueryRateLimiter limiter, long index) {
		if (this.generation.get() != current) {
			return;
		}
		Duration maxBackoff = (this.settings.heartbeatInterval().compareTo(INITIAL_BACKOFF) > 0)
				? this.settings.heartbeatInterval() : INITIAL_BACKOFF;
		this.client.retryUntilSuccess(() -> {
			if (this.generation.get() != current) {
				// stopped: end the retries with a result nobody reads
				return CompletableFuture.completedFuture((ConsulClient.KvEntries) null);
			}
			return this.client.kv().blockingGet(this.key, index, WAIT);
		}, INITIAL_BACKOFF, maxBackoff, (ex) -> logger.debug("Node {}: blocking read of {} failed: {}",
				this.settings.nodeId(), this.key, ex.toString()))
			.whenComplete((read, ex) -> {
				if (this.generation.get() != current || ex != null || read == null) {
					return;
				}
				long next = read.index();
				// Consul's guidance: an index that went backwards (or is missing) restarts the read from scratch.
				if (next < index || next <= 0) {
					watch(current, limiter, 0);
					return;
				}
				if (next != index) {
					this.view.leaderKeyRead(next, read.first());
				}
				watch(current, limiter, next);
			});
	}

}
