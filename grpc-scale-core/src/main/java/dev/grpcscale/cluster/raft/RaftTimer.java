package dev.grpcscale.cluster.raft;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task once, after a delay, on the election's scheduler; once the scheduler is shut down (the election
 * closed) the task is dropped.
 */
final class RaftTimer {

	private final ScheduledExecutorService scheduler;

	RaftTimer(ScheduledExecutorService scheduler) {
		this.scheduler = scheduler;
	}

	void schedule(Runnable task, Duration delay) {
		try {
			this.scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// closed
		}
	}

}
