package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.etcd.internal.EtcdLeaseRenewal;
import dev.grpcscale.metrics.LatencyTally;

/**
 * Keeps one etcd lease alive on grpc-scale's own schedule, one renewal ({@link EtcdLeaseRenewal}) at a time,
 * so that each renewal is timed from its send to etcd's answer.
 *
 * <p>The schedule is jetcd's keep-alive stream's: the next renewal a third of the TTL etcd answered after
 * each answer; after a failure (no answer within the attempt timeout, a member restarting, "no leader" on
 * every member tried) the next attempt follows after a short pause (500 ms, at most a third of the TTL), for
 * as long as the {@link Listener} wants. Unlike the stream, each renewal is a separate call, so the client's
 * round robin spreads attempts over the members.
 *
 * <p>Threads: renewals are sent from the scheduler; answers, and so the listener, arrive on jetcd's threads
 * (or on the scheduler when an attempt times out). The listener must not block.
 */
final class EtcdLeaseKeepAlive implements AutoCloseable {

	/** What the owner of the lease hears; called without any lock of this class held. */
	interface Listener {

		/**
		 * etcd confirmed a renewal.
		 * @param answeredNanos the ticker time of the answer
		 */
		void renewed(long answeredNanos);

		/**
		 * A renewal failed.
		 * @param cause the failure, unwrapped
		 * @return whether to try again after a pause; {@code false} stops this keep-alive
		 */
		boolean failed(Throwable cause);

	}

	private static final long MAX_RETRY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

	private final EtcdLeaseRenewal renewal;

	private final long leaseId;

	private final long attemptTimeoutNanos;

	private final long retryPauseNanos;

	private final ScheduledExecutorService scheduler;

	private final LongSupplier ticker;

	private final LatencyTally renewals;

	private final Listener listener;

	private @Nullable Future<?> next;

	private volatile boolean closed;

	/**
	 * A keep-alive, not started yet.
	 * @param renewal sends one renewal
	 * @param leaseId the lease
	 * @param ttl the lease's TTL
	 * @param attemptTimeout the longest wait for one renewal's answer; a third of the TTL if that is shorter
	 * (but at least 500 ms), as a late answer leaves too little of the TTL for another attempt
	 * @param scheduler runs the renewals and their deadlines
	 * @param ticker monotonic nanoseconds
	 * @param renewals records the round trip of each confirmed renewal
	 * @param listener hears of answers and failures
	 */
	EtcdLeaseKeepAlive(EtcdLeaseRenewal renewal, long leaseId, Duration ttl, Duration attemptTimeout,
			ScheduledExecutorService scheduler, LongSupplier ticker, LatencyTally renewals, Listener listener) {
		this.renewal = renewal;
		this.leaseId = leaseId;
		long third = ttl.toNanos() / 3;
		this.attemptTimeoutNanos = Math.min(attemptTimeout.toNanos(), Math.max(third, MAX_RETRY_PAUSE_NANOS));
		this.retryPauseNanos = Math.min(MAX_RETRY_PAUSE_NANOS, third);
		this.scheduler = scheduler;
		this.ticker = ticker;
		this.renewals = renewals;
		this.listener = listener;
	}

	/**
	 * Schedules the first renewal.
	 * @param delay how long from now
	 */
	void start(Duration delay) {
		schedule(delay.toNanos());
	}

	private synchronized void schedule(long delayNanos) {
		if (this.closed) {
			return;
		}
		try {
			this.next = this.scheduler.schedule(this::renew, delayNanos, TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// the registry is closing
			this.closed = true;
		}
	}

	private void renew() {
		if (this.closed) {
			return;
		}
		long sent = this.ticker.getAsLong();
		CompletableFuture<LeaseKeepAliveResponse> attempt = new CompletableFuture<>();
		try {
			this.renewal.renew(this.leaseId).whenComplete((response, ex) -> {
				if (ex != null) {
					attempt.completeExceptionally(ex);
				}
				else {
					attempt.complete(response);
				}
			});
		}
		catch (RuntimeException ex) {
			attempt.completeExceptionally(ex);
		}
		Future<?> deadline;
		try {
			// jetcd's keepAliveOnce has no deadline of its own: a request held by a partition never answers
			deadline = this.scheduler.schedule(() -> attempt.completeExceptionally(new TimeoutException(
					"no answer to the keep-alive of lease " + Long.toHexString(this.leaseId) + " within "
							+ Duration.ofNanos(this.attemptTimeoutNanos))),
					this.attemptTimeoutNanos, TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			return; // the registry is closing
		}
		attempt.whenComplete((response, ex) -> {
			deadline.cancel(false);
			answered(sent, response, ex);
		});
	}

	private void answered(long sent, @Nullable LeaseKeepAliveResponse response, @Nullable Throwable failure) {
		if (this.closed) {
			return;
		}
		if (failure == null && response != null) {
			long now = this.ticker.getAsLong();
			this.renewals.record(now - sent);
			this.listener.renewed(now);
			// as jetcd's stream does: the next renewal a third of the granted TTL after the answer
			schedule(TimeUnit.SECONDS.toNanos(response.getTTL()) / 3);
			return;
		}
		Throwable cause = EtcdRequests.unwrap((failure != null) ? failure : new IllegalStateException("no answer"));
		if (this.listener.failed(cause)) {
			schedule(this.retryPauseNanos);
		}
		else {
			close();
		}
	}

	/** Stops renewing; a renewal in flight is ignored when it answers. Idempotent. */
	@Override
	public synchronized void close() {
		this.closed = true;
		Future<?> pending = this.next;
		this.next = null;
		if (pending != null) {
			pending.cancel(false);
		}
	}

}
