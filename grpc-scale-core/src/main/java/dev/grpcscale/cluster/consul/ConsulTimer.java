package dev.grpcscale.cluster.consul;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The one-shot timers of a {@link ConsulLeaderElection} (campaign retries, paced blocking reads), on the
 * election's scheduler. A timer set after the election closed, when the scheduler refuses it, is dropped.
 */
final class ConsulTimer {

	private final ScheduledExecutorService scheduler;

	ConsulTimer(ScheduledExecutorService scheduler) {
		this.scheduler = scheduler;
	}

	/** Runs {@code task} after {@code delay}, or never if the election is closed. */
	void schedule(Runnable task, Duration delay) {
		try {
			this.scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// closed
		}
	}

}
