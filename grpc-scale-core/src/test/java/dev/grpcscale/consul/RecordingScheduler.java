package dev.grpcscale.consul;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler that records every pause it is asked for and runs the task at once instead, so backoff is
 * observed without waiting for it.
 */
final class RecordingScheduler extends ScheduledThreadPoolExecutor {

	private final List<Duration> pauses = new CopyOnWriteArrayList<>();

	RecordingScheduler() {
		super(1, (task) -> {
			Thread thread = new Thread(task, "grpc-scale-test-scheduler");
			thread.setDaemon(true);
			return thread;
		});
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
		return super.schedule(command, 0, unit);
	}

	@Override
	public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
		record(delay, unit);
		return super.schedule(callable, 0, unit);
	}

	private void record(long delay, TimeUnit unit) {
		if (delay > 0) {
			this.pauses.add(Duration.ofNanos(unit.toNanos(delay)));
		}
	}

}
