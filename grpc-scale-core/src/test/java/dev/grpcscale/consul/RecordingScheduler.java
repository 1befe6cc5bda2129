package dev.grpcscale.consul;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler that records every pause it is asked for and, unless told to keep them, runs the task at once
 * instead, so backoff is observed without waiting for it.
 */
final class RecordingScheduler extends ScheduledThreadPoolExecutor {

	private final List<Duration> pauses = new CopyOnWriteArrayList<>();

	private final boolean keepPauses;

	/** Runs every task at once. */
	RecordingScheduler() {
		this(false);
	}

	/** Runs tasks after their delays when {@code keepPauses}, at once otherwise. */
	RecordingScheduler(boolean keepPauses) {
		super(1, (task) -> {
			Thread thread = new Thread(task, "grpc-scale-test-scheduler");
			thread.setDaemon(true);
			return thread;
		});
		this.keepPauses = keepPauses;
	}

	/** The positive delays asked for, in order. */
	List<Duration> pauses() {
		return List.copyOf(this.pauses);
	}

	void clear() {
		this.pauses.clear();
	}

	@Override
	public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
		record(delay, unit);
		return super.schedule(command, this.keepPauses ? delay : 0, unit);
	}

	@Override
	public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
		record(delay, unit);
		return super.schedule(callable, this.keepPauses ? delay : 0, unit);
	}

	private void record(long delay, TimeUnit unit) {
		if (delay > 0) {
			this.pauses.add(Duration.ofNanos(unit.toNanos(delay)));
		}
	}

}
