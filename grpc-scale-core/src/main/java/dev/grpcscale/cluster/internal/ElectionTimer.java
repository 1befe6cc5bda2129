package dev.grpcscale.cluster.internal;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task once, after a delay, on an election's scheduler; once the scheduler is shut down (the election
 * closed) the task is dropped. Used by the Raft and Consul elections for their own timers.
 */
public final class ElectionTimer {

	private final ScheduledExecutorService scheduler;

	/**
	 * A timer on a scheduler.
	 * @param scheduler the election's scheduler
	 */
	public ElectionTimer(ScheduledExecutorService scheduler) {
		this.scheduler = scheduler;
	}

	/**
	 * Runs {@code task} after {@code delay}, or never if the scheduler is shut down.
	 * @param task the task
	 * @param delay the delay
	 */
	public void schedule(Runnable task, Duration delay) {
		try {
			this.scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// closed
		}
	}

}
