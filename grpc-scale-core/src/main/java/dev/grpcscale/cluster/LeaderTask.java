package dev.grpcscale.cluster;

import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;
import dev.grpcscale.internal.DaemonThreads;

/**
 * Runs work only while this node leads: each time leadership is granted the work starts on a thread of
 * its own ({@code grpc-scale-leader-task-<name>}) with the fencing token of that leadership; when
 * leadership is revoked it is interrupted ({@link Future#cancel(boolean) cancel(true)}).
 *
 * <pre>{@code
 * LeaderTask task = LeaderTask.start(election, "reconciler", (token) -> {
 *     while (!Thread.currentThread().isInterrupted()) {
 *         store.write(batch(), token);   // the store rejects tokens lower than one it has seen
 *     }
 * });
 * // at shutdown
 * task.close();
 * }</pre>
 *
 * <p>The task follows the election through a listener of its own, so no other listener, however slow, delays
 * its revocation. Limits: interruption is cooperative, so the work must check {@link Thread#isInterrupted()} (or block
 * in interruptible calls) and pass the token to downstream writes, which is what protects against a late
 * write after a pause. Work that returns is not restarted until the next grant. Thread-safe.
 */
public final class LeaderTask implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(LeaderTask.class);

	private final LeaderElection election;

	private final String name;

	private final LongConsumer work;

	private final ExecutorService executor;

	private final Subscription subscription;

	private final Object lock = new Object();

	private @Nullable Future<?> running;

	private long runningToken;

	private boolean closed;

	private LeaderTask(LeaderElection election, String name, LongConsumer work) {
		this.election = election;
		this.name = name;
		this.work = work;
		this.executor = Executors.newSingleThreadExecutor(DaemonThreads.named("grpc-scale-leader-task-" + name));
		this.subscription = election.addListener(this::onLeadershipChange);
	}

	/**
	 * Starts following the election; the work runs whenever this node is (or becomes) leader.
	 * @param election the election, joined or not
	 * @param name a name for the thread and logs
	 * @param work the work, given the fencing token of the leadership it runs under
	 * @return the task; close it to stop
	 */
	public static LeaderTask start(LeaderElection election, String name, LongConsumer work) {
		Objects.requireNonNull(election, "election");
		Objects.requireNonNull(name, "name");
		Objects.requireNonNull(work, "work");
		return new LeaderTask(election, name, work);
	}

	/** Whether the work is running now. */
	public boolean isRunning() {
		synchronized (this.lock) {
			return this.running != null && !this.running.isDone();
		}
	}

	private void onLeadershipChange(LeadershipEvent event) {
		synchronized (this.lock) {
			if (this.closed) {
				return;
			}
			switch (event.type()) {
				case GRANTED -> {
					if (this.running != null && !this.running.isDone()) {
						if (this.runningToken == event.fencingToken()) {
							return;
						}
						this.running.cancel(true);
					}
					long token = event.fencingToken();
					this.runningToken = token;
					this.running = this.executor.submit(() -> run(token));
				}
				case REVOKED -> {
					if (this.running != null && this.runningToken == event.fencingToken()) {
						this.running.cancel(true);
						this.running = null;
					}
				}
				case RENEWED -> {
				}
			}
		}
	}

	private void run(long token) {
		Leadership leadership = this.election.leadership().orElse(null);
		if (leadership == null || leadership.fencingToken() != token) {
			return;
		}
		try {
			this.work.accept(token);
		}
		catch (RuntimeException ex) {
			logger.warn("Leader task '{}' failed under fencing token {}", this.name, token, ex);
		}
	}

	/** Stops following the election, interrupts the work and stops the thread. Idempotent. */
	@Override
	public void close() {
		synchronized (this.lock) {
			if (this.closed) {
				return;
			}
			this.closed = true;
			if (this.running != null) {
				this.running.cancel(true);
			}
		}
		this.subscription.cancel();
		this.executor.shutdownNow();
		try {
			this.executor.awaitTermination(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
