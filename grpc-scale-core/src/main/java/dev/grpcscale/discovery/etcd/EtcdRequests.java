package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.failsafe.RetryPolicy;

/**
 * Waits on jetcd request futures with a deadline and unwraps their failures; the retry policy of the work
 * that goes on until etcd answers.
 */
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

	/**
	 * The retries of the registry's background work (lease replacement, re-registration, cache rebuilds): any
	 * failure, exponential backoff from 100 ms to 2 s with 20 % jitter, until etcd answers.
	 */
	static RetryPolicy<Object> untilAnswered() {
		return RetryPolicy.builder()
			.handle(Exception.class)
			.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(2))
			.withJitter(0.2)
			.withMaxRetries(-1)
			.build();
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
