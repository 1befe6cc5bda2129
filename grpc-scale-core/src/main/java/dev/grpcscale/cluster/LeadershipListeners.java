package dev.grpcscale.cluster;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leadership listeners of an {@link AbstractLeaderElection}, each with a queue of its own: events are
 * queued in the order {@link #fire(LeadershipEvent)} is called (the election's context order) and delivered
 * one at a time, in that order, on the listener executor. A slow listener delays only itself, never the
 * election's thread nor other listeners; a throwing one is logged and gets its next events.
 *
 * <p>Thread-safe; {@link #attach} and {@link #fire} are called in the election's context.
 */
final class LeadershipListeners {

	/** Logs under the election engine's name, where these lines have always been logged. */
	private static final Logger logger = LoggerFactory.getLogger(AbstractLeaderElection.class);

	private final LeaderElectionSettings settings;

	private final Executor executor;

	private final List<ListenerQueue> queues = new CopyOnWriteArrayList<>();

	/** The listener queue the current thread is delivering for, if any. */
	private final ThreadLocal<@Nullable ListenerQueue> delivering = new ThreadLocal<>();

	LeadershipListeners(LeaderElectionSettings settings, Executor executor) {
		this.settings = settings;
		this.executor = executor;
	}

	/** A queue for {@code listener}, not attached yet: it gets events once {@link #attach attached}. */
	ListenerQueue newQueue(LeadershipListener listener) {
		return new ListenerQueue(listener);
	}

	/**
	 * Attaches a queue, unless it was detached already; {@code first}, if any, is its first event.
	 * @param queue the queue
	 * @param first the event to queue first (the current grant), or {@code null}
	 */
	void attach(ListenerQueue queue, @Nullable LeadershipEvent first) {
		if (queue.cancelled) {
			return;
		}
		this.queues.add(queue);
		if (first != null) {
			queue.enqueue(first);
		}
	}

	/** Detaches a queue: it delivers none of its events from now on. */
	void detach(ListenerQueue queue) {
		queue.cancelled = true;
		this.queues.remove(queue);
	}

	/** Detaches every queue. */
	void detachAll() {
		this.queues.forEach((queue) -> queue.cancelled = true);
		this.queues.clear();
	}

	/** Queues the event for every listener; called in the context, so each listener sees the context's order. */
	void fire(LeadershipEvent event) {
		for (ListenerQueue queue : this.queues) {
			queue.enqueue(event);
		}
	}

	/** Whether the current thread is delivering an event to one of these listeners. */
	boolean deliveringOnThisThread() {
		return this.delivering.get() != null;
	}

	/**
	 * Waits until every listener was given its queued events, or the deadline passed (then logs which one has
	 * not returned).
	 * @param deadlineNanos the deadline, on {@link System#nanoTime()}
	 */
	void awaitIdle(long deadlineNanos) {
		for (ListenerQueue queue : this.queues) {
			if (!queue.awaitIdle(deadlineNanos)) {
				logger.warn("Node {} left election '{}'; leadership listener {} has not returned within {}",
						this.settings.nodeId(), this.settings.qualifiedName(), queue.listener,
						this.settings.electionTimeout());
				return;
			}
		}
	}

	private static void deliver(LeadershipListener listener, LeadershipEvent event) {
		try {
			listener.onLeadershipChange(event);
		}
		catch (RuntimeException ex) {
			logger.warn("Leadership listener {} failed on {}", listener, event, ex);
		}
	}

	/**
	 * The events of one listener, delivered in order, one at a time, on the listener executor: a slow listener
	 * delays only itself, never the election's thread nor other listeners.
	 */
	final class ListenerQueue implements Runnable {

		final LeadershipListener listener;

		volatile boolean cancelled;

		private final ArrayDeque<LeadershipEvent> queue = new ArrayDeque<>();

		private boolean running;

		ListenerQueue(LeadershipListener listener) {
			this.listener = listener;
		}

		void enqueue(LeadershipEvent event) {
			synchronized (this) {
				this.queue.add(event);
				if (this.running) {
					return;
				}
				this.running = true;
			}
			try {
				LeadershipListeners.this.executor.execute(this);
			}
			catch (RejectedExecutionException ex) {
				synchronized (this) {
					this.queue.clear();
					this.running = false;
					notifyAll();
				}
			}
		}

		@Override
		public void run() {
			ListenerQueue outer = LeadershipListeners.this.delivering.get();
			LeadershipListeners.this.delivering.set(this);
			try {
				while (true) {
					LeadershipEvent event;
					synchronized (this) {
						event = this.queue.poll();
						if (event == null) {
							this.running = false;
							notifyAll();
							return;
						}
					}
					if (!this.cancelled) {
						deliver(this.listener, event);
					}
				}
			}
			finally {
				LeadershipListeners.this.delivering.set(outer);
			}
		}

		/** Waits until every queued event was delivered; {@code false} if the deadline passed first. */
		synchronized boolean awaitIdle(long deadlineNanos) {
			while (this.running) {
				long left = deadlineNanos - System.nanoTime();
				if (left <= 0) {
					return false;
				}
				try {
					TimeUnit.NANOSECONDS.timedWait(this, left);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return false;
				}
			}
			return true;
		}

		@Override
		public String toString() {
			return this.listener.toString();
		}

	}

}
