package dev.grpcscale.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scheduler and a nanosecond ticker driven by the test: tasks run only in {@link #runDue()} and
 * {@link #advance(Duration)}, on the test's thread, in time order. Not thread-safe; one test thread.
 */
final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {

	private final AtomicLong nanos;

	private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();

	private long sequence;

	private boolean shutdown;

	ManualScheduler() {
		this(new AtomicLong(1_000_000_000L));
	}

	private ManualScheduler(AtomicLong nanos) {
		this.nanos = nanos;
	}

	/** Another scheduler on the same fake time, whose tasks run only when it is driven. */
	ManualScheduler sharingTime() {
		return new ManualScheduler(this.nanos);
	}

	/** The ticker: current fake time in nanoseconds. */
	long nanoTime() {
		return this.nanos.get();
	}

	/** Moves the ticker without running anything, as if every thread of the node were paused. */
	void moveTickerOnly(Duration duration) {
		this.nanos.addAndGet(duration.toNanos());
	}

	/** Runs every task due now, including those they schedule for now. */
	void runDue() {
		Task<?> next;
		while ((next = this.queue.peek()) != null && next.time - this.nanos.get() <= 0) {
			this.queue.poll();
			next.runTask();
		}
	}

	/** Moves time forward, running each task at its time. */
	void advance(Duration duration) {
		long target = this.nanos.get() + duration.toNanos();
		runDue();
		Task<?> next;
		while ((next = this.queue.peek()) != null && next.time - target <= 0) {
			this.queue.poll();
			if (next.time - this.nanos.get() > 0) {
				this.nanos.set(next.time);
			}
			next.runTask();
			runDue();
		}
		this.nanos.set(target);
		runDue();
	}

	@Override
	public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
		return add(new Task<>(Executors.callable(command, null), this.nanos.get() + unit.toNanos(delay), 0));
	}

	@Override
	public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
		return add(new Task<>(callable, this.nanos.get() + unit.toNanos(delay), 0));
	}

	@Override
	public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
		return scheduleWithFixedDelay(command, initialDelay, period, unit);
	}

	@Override
	public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
		return add(new Task<>(Executors.callable(command, null), this.nanos.get() + unit.toNanos(initialDelay),
				unit.toNanos(delay)));
	}

	@Override
	public void execute(Runnable command) {
		if (this.shutdown) {
			throw new java.util.concurrent.RejectedExecutionException("shut down");
		}
		add(new Task<>(Executors.callable(command, null), this.nanos.get(), 0));
	}

	private <V> Task<V> add(Task<V> task) {
		task.seq = ++this.sequence;
		this.queue.add(task);
		return task;
	}

	@Override
	public void shutdown() {
		this.shutdown = true;
	}

	@Override
	public List<Runnable> shutdownNow() {
		this.shutdown = true;
		List<Runnable> pending = new ArrayList<>(this.queue);
		this.queue.clear();
		return pending;
	}

	@Override
	public boolean isShutdown() {
		return this.shutdown;
	}

	@Override
	public boolean isTerminated() {
		return this.shutdown;
	}

	@Override
	public boolean awaitTermination(long timeout, TimeUnit unit) {
		return true;
	}

	private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {

		long time;

		final long period;

		long seq;

		Task(Callable<V> callable, long time, long period) {
			super(callable);
			this.time = time;
			this.period = period;
		}

		void runTask() {
			if (this.period == 0) {
				run();
			}
			else if (runAndReset()) {
				this.time = ManualScheduler.this.nanos.get() + this.period;
				ManualScheduler.this.queue.add(this);
			}
		}

		@Override
		public boolean cancel(boolean mayInterruptIfRunning) {
			ManualScheduler.this.queue.remove(this);
			return super.cancel(mayInterruptIfRunning);
		}

		@Override
		public long getDelay(TimeUnit unit) {
			return unit.convert(this.time - ManualScheduler.this.nanos.get(), TimeUnit.NANOSECONDS);
		}

		@Override
		public int compareTo(Delayed other) {
			Task<?> that = (Task<?>) other;
			int byTime = Long.compare(this.time - that.time, 0);
			return (byTime != 0) ? byTime : Long.compare(this.seq, that.seq);
		}

	}

}
