package dev.grpcscale.test.consul;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import org.awaitility.Awaitility;

/** Runs a blocking query on its own thread and returns once that thread waits in it. */
final class BlockedQuery {

	private BlockedQuery() {
	}

	static <T> CompletableFuture<T> start(Supplier<T> query) {
		CompletableFuture<T> result = new CompletableFuture<>();
		Thread thread = new Thread(() -> {
			try {
				result.complete(query.get());
			}
			catch (RuntimeException ex) {
				result.completeExceptionally(ex);
			}
		}, "grpc-scale-test-blocked-query");
		thread.setDaemon(true);
		thread.start();
		Awaitility.await("query blocked")
			.atMost(Duration.ofSeconds(30))
			.until(() -> thread.getState() == Thread.State.TIMED_WAITING || result.isDone());
		return result;
	}

}
