package dev.grpcscale.etcd.internal;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import io.etcd.jetcd.Lease;
import io.etcd.jetcd.common.exception.ClosedClientException;
import io.grpc.Status;

/**
 * Short, log-ready reasons for why a request to etcd failed, for the one warning a close logs when it could
 * not clean up. A jetcd client that was closed before the request (or while it was retried) fails it with a
 * {@link RejectedExecutionException} from its own executor (jetcd retries through failsafe on that executor)
 * or a {@link ClosedClientException}: both read "the etcd client is closed", not an executor's task dump.
 *
 * <p>Used by grpc-scale's etcd leader election and etcd service registry. Not an API.
 */
public final class EtcdFailures {

	private EtcdFailures() {
	}

	/**
	 * Whether a failure says the jetcd client was closed: jetcd's executor refused the request, or jetcd
	 * reported its client closed.
	 * @param failure the failure, possibly wrapped
	 * @return whether it or one of its causes says so
	 */
	public static boolean isClientClosed(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof RejectedExecutionException || cause instanceof ClosedClientException) {
				return true;
			}
			if (cause.getCause() == cause) {
				break;
			}
		}
		return false;
	}

	/**
	 * One line saying why a request failed, without stack trace nor executor internals: "the etcd client is
	 * closed", "no answer within PT5S" (the caller's own timeout message), "UNAVAILABLE: io exception", or the
	 * failure's type and message.
	 * @param failure the failure, possibly wrapped in {@link CompletionException} or {@link ExecutionException}
	 * @return the reason
	 */
	public static String reason(Throwable failure) {
		if (isClientClosed(failure)) {
			return "the etcd client is closed";
		}
		Throwable cause = failure;
		while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
			cause = cause.getCause();
		}
		if (cause instanceof CancellationException) {
			return "cancelled";
		}
		if (cause instanceof TimeoutException) {
			return (cause.getMessage() != null) ? cause.getMessage() : "no answer in time";
		}
		Status status = Status.fromThrowable(cause);
		if (status.getCode() != Status.Code.UNKNOWN) {
			return status.getCode() + ((status.getDescription() != null) ? ": " + status.getDescription() : "");
		}
		return (cause.getMessage() != null) ? cause.getMessage() : cause.getClass().getSimpleName();
	}

	/**
	 * Sends a request. A jetcd client that refuses it at once (closed: its executor throws) fails the future
	 * instead of throwing, so that every outcome arrives one way.
	 * @param request sends the request
	 * @param <T> the response type
	 * @return the response, or the failure
	 */
	public static <T> CompletableFuture<T> sent(Supplier<CompletableFuture<T>> request) {
		try {
			return request.get();
		}
		catch (RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
	}

	/**
	 * Revokes a lease; one etcd no longer knows (expired, revoked already) counts as revoked.
	 * @param leases the client's lease client
	 * @param leaseId the lease
	 * @return completes when the lease is gone; fails with why not
	 */
	public static CompletableFuture<Void> revoke(Lease leases, long leaseId) {
		return sent(() -> leases.revoke(leaseId)).handle((response, ex) -> {
			if (ex != null && !EtcdLeaseRenewal.isLeaseNotFound(ex)) {
				throw (ex instanceof CompletionException completion) ? completion : new CompletionException(ex);
			}
			return null;
		});
	}

	/**
	 * An exception that is only its message: no stack trace, no cause, for a failure whose reason is already
	 * known and whose frames (a request refused by a closed client's executor) tell a reader nothing.
	 * @param message the reason
	 * @return the exception
	 */
	public static RuntimeException quiet(String message) {
		return new QuietException(message);
	}

	private static final class QuietException extends IllegalStateException {

		private static final long serialVersionUID = 1L;

		QuietException(String message) {
			super(message);
		}

		@Override
		public synchronized Throwable fillInStackTrace() {
			return this;
		}

	}

}
