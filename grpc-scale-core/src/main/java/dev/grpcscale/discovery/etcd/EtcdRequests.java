package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits on jetcd request futures with a deadline and unwraps their failures. */
final class EtcdRequests {

	private EtcdRequests() {
	}

	/**
	 * Waits for a jetcd request. On timeout the future is cancelled so the request is not left pending.
	 * @throws EtcdRequestException when the request failed, timed out or the thread was interrupted
	 */
	static <T> T await(CompletableFuture<T> future, Duration timeout, String what) {
		try {
			return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			future.cancel(true);
			throw new EtcdRequestException(what + ": no answer within " + timeout, ex);
		}
		catch (ExecutionException ex) {
			Throwable cause = unwrap(ex);
			throw new EtcdRequestException(what + ": " + cause.getClass().getSimpleName() + ": " + cause.getMessage(),
					cause);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			future.cancel(true);
			throw new EtcdRequestException(what + ": interrupted", ex);
		}
	}

	static Throwable unwrap(Throwable failure) {
		Throwable current = failure;
		while ((current instanceof ExecutionException || current instanceof CompletionException
				|| current instanceof EtcdRequestException) && current.getCause() != null) {
			current = current.getCause();
		}
		return current;
	}

	/** A request to etcd failed; unchecked so it can travel through retry policies. */
	static final class EtcdRequestException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		EtcdRequestException(String message, Throwable cause) {
			super(message, cause);
		}

	}

}
