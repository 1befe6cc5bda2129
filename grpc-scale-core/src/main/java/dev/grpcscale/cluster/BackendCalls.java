package dev.grpcscale.cluster;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

import io.grpc.SynchronizationContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an {@link AbstractLeaderElection} calls its backend: a call that throws becomes a failed future, a call
 * is bounded by {@code electionTimeout} (a later answer is of no use to the lease), and its result is handled
 * in the election's {@link SynchronizationContext}, after a hop onto the scheduler, never on a client
 * library's I/O thread.
 */
final class BackendCalls {

	/** Logs under the election engine's name, where these lines have always been logged. */
	private static final Logger logger = LoggerFactory.getLogger(AbstractLeaderElection.class);

	private final LeaderElectionSettings settings;

	private final SynchronizationContext context;

	private final ScheduledExecutorService scheduler;

	BackendCalls(LeaderElectionSettings settings, SynchronizationContext context,
			ScheduledExecutorService scheduler) {
		this.settings = settings;
		this.context = context;
		this.scheduler = scheduler;
	}

	/** Calls the backend; a call that throws, or returns no future, gives a failed future. */
	static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> backendCall) {
		try {
			return Objects.requireNonNull(backendCall.get(), "backend returned no future");
		}
		catch (RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
	}

	/**
	 * One line saying why a backend call failed, for a warning: the message of the failure under the
	 * {@link CompletionException}/{@link ExecutionException} wrappers, or its type when it has none.
	 */
	static String reason(Throwable failure) {
		Throwable cause = failure;
		while ((cause instanceof ExecutionException || cause instanceof CompletionException) && cause.getCause() != null) {
			cause = cause.getCause();
		}
		return (cause.getMessage() != null) ? cause.getMessage() : cause.getClass().getSimpleName();
	}

	/**
	 * Bounds a backend call by {@code electionTimeout}: past it the result fails with a
	 * {@link TimeoutException} naming {@code what}. A scheduler that refuses the timer leaves the call unbounded.
	 */
	<T> CompletableFuture<T> withTimeout(CompletableFuture<T> future, String what) {
		if (future.isDone()) {
			return future;
		}
		Duration timeout = this.settings.electionTimeout();
		CompletableFuture<T> result = new CompletableFuture<>();
		ScheduledFuture<?> timer;
		try {
			timer = this.scheduler.schedule(
					() -> result.completeExceptionally(new TimeoutException(what + " took longer than " + timeout)),
					timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RuntimeException ex) {
			return future;
		}
		future.whenComplete((value, ex) -> {
			timer.cancel(false);
			if (ex != null) {
				result.completeExceptionally(ex);
			}
			else {
				result.complete(value);
			}
		});
		return result;
	}

	/** Runs {@code handler} in the context, on the scheduler, once {@code future} completes. */
	<T> void onComplete(CompletableFuture<T> future, BiConsumer<@Nullable T, @Nullable Throwable> handler) {
		future.whenCompleteAsync((value, ex) -> this.context.execute(() -> handler.accept(value, ex)), this.scheduler)
			.exceptionally((ex) -> {
				logger.debug("Node {}: a backend result arrived after close ({})", this.settings.nodeId(), ex.toString());
				return null;
			});
	}

}
