package dev.grpcscale.cluster;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * How a chaos test's node process samples its own leadership: every {@link #PERIOD} after the previous
 * sample, {@link LeaderElection#leadership()} is read between two {@code nanoTime} readings and, when held,
 * written to the node's history as {@code LEADING <node> <token> <before> <after>}, which
 * {@link LeadershipHistoryChecker} checks against the other nodes' leases. Shared by the etcd and the Raft
 * chaos nodes.
 */
public final class LeadershipSampler {

	/** The delay between two samples. */
	public static final Duration PERIOD = Duration.ofMillis(10);

	private LeadershipSampler() {
	}

	/**
	 * Samples until the process is ended by the test (kill -9, or SIGTERM through the node's shutdown hook).
	 * @param election the node's election
	 * @param nodeId the node's id
	 * @param history where a sample's line is written
	 * @throws ExecutionException if writing a sample failed, which ends the sampling
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	public static void sampleUntilEnded(LeaderElection election, String nodeId, Consumer<String> history)
			throws ExecutionException, InterruptedException {
		ScheduledExecutorService sampler = Executors
			.newSingleThreadScheduledExecutor((task) -> new Thread(task, "chaos-leadership-sampler"));
		try {
			sampler.scheduleWithFixedDelay(() -> {
				long before = System.nanoTime();
				Optional<Leadership> leadership = election.leadership();
				long after = System.nanoTime();
				leadership.ifPresent((held) -> history
					.accept("LEADING " + nodeId + " " + held.fencingToken() + " " + before + " " + after));
			}, 0, PERIOD.toNanos(), TimeUnit.NANOSECONDS).get();
		}
		finally {
			sampler.shutdownNow();
		}
	}

}
