package dev.grpcscale.consul;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.consul.internal.ConsulAgentClient;
import dev.grpcscale.internal.DaemonThreads;

/**
 * The transport under {@link ConsulClient}: the JDK {@code HttpClient} (through {@link ConsulAgentClient}) and
 * its threads ({@code grpc-scale-consul-http-N}), the scheduler of the pauses between attempts, and what turns
 * an HTTP exchange into a typed result: a failure without an answer becomes {@link ConsulUnreachableException},
 * an answer the call does not accept {@link ConsulHttpException}; idempotent requests are retried after either
 * when it is transient (429/502/503/504), with jittered exponential backoff. Once closed, no request is sent and
 * retries end. Thread-safe.
 */
final class ConsulTransport {

	/** Logs under the client's name, where the Consul client has always logged. */
	private static final Logger logger = LoggerFactory.getLogger(ConsulClient.class);

	private final ConsulConnection connection;

	private final ConsulAgentClient http;

	private final ExecutorService httpExecutor;

	private final ScheduledExecutorService scheduler;

	private final boolean ownsScheduler;

	private final DoubleSupplier random;

	private final RetryPolicy<Object> idempotentRetry;

	private final AtomicBoolean closed = new AtomicBoolean();

	/**
	 * Starts the HTTP threads, and a scheduler thread ({@code grpc-scale-consul-client-N}) when none is given.
	 * @param scheduler the scheduler of the pauses, not shut down by {@link #close()}; {@code null} for one of
	 * the transport's own
	 */
	ConsulTransport(ConsulConnection connection, @Nullable ScheduledExecutorService scheduler,
			Duration initialBackoff, Duration maxBackoff, int maxRetries, DoubleSupplier random) {
		this.connection = connection;
		this.httpExecutor = Executors.newCachedThreadPool(DaemonThreads.numbered("grpc-scale-consul-http-"));
		this.http = new ConsulAgentClient(connection, this.httpExecutor);
		this.ownsScheduler = scheduler == null;
		this.scheduler = (scheduler != null) ? scheduler
				: Executors.newSingleThreadScheduledExecutor(DaemonThreads.numbered("grpc-scale-consul-client-"));
		this.random = random;
		JitteredBackoff backoff = new JitteredBackoff(initialBackoff, maxBackoff, random);
		this.idempotentRetry = RetryPolicy.builder()
			.handleIf(ConsulTransport::isRetryable)
			.abortIf((result, failure) -> this.closed.get())
			.withDelayFn((context) -> backoff.delay(context.getAttemptCount()))
			.withMaxRetries(maxRetries)
			.build();
	}

	/** The HTTP client of the agent's API. */
	ConsulAgentClient http() {
		return this.http;
	}

	/** The agent's base URI; holds no credentials. */
	URI base() {
		return this.http.base();
	}

	boolean isClosed() {
		return this.closed.get();
	}

	/** What {@link ConsulClient#retryUntilSuccess} does. */
	<T> CompletableFuture<T> retryUntilSuccess(Supplier<? extends CompletionStage<T>> attempt,
			Duration initialBackoff, Duration maxBackoff, Consumer<Throwable> onFailedAttempt) {
		JitteredBackoff backoff = new JitteredBackoff(initialBackoff, maxBackoff, this.random);
		RetryPolicy<T> policy = RetryPolicy.<T>builder()
			.handle(Throwable.class)
			// a closed client ends the attempts, whoever owns the scheduler
			.abortIf((result, failure) -> this.closed.get())
			.withDelayFn((context) -> backoff.delay(context.getAttemptCount()))
			.withMaxRetries(-1)
			.onFailedAttempt((event) -> onFailedAttempt.accept(ConsulClient.unwrap(event.getLastException())))
			.build();
		return Failsafe.with(policy).with(this.scheduler).getStageAsync(() -> {
			if (this.closed.get()) {
				throw new CancellationException("ConsulClient is closed");
			}
			return attempt.get();
		});
	}

	/** One request, its transport failure mapped to {@link ConsulUnreachableException}; not retried. */
	CompletableFuture<ConsulAgentClient.Response> once(String what,
			Supplier<CompletableFuture<ConsulAgentClient.Response>> request) {
		if (this.closed.get()) {
			return CompletableFuture.failedFuture(new ConsulException("ConsulClient is closed; " + what + " not sent"));
		}
		CompletableFuture<ConsulAgentClient.Response> sent;
		try {
			sent = request.get();
		}
		catch (RuntimeException ex) {
			// a shut down executor, or an invalid request
			return CompletableFuture.failedFuture(
					new ConsulUnreachableException("Could not send the " + what + " to " + this.http.base(), ex));
		}
		CompletableFuture<ConsulAgentClient.Response> result = new CompletableFuture<>();
		sent.whenComplete((response, ex) -> {
			if (ex == null) {
				if (isTransient(response.status())) {
					result.completeExceptionally(refused(what, response));
				}
				else {
					result.complete(response);
				}
				return;
			}
			Throwable cause = ConsulClient.unwrap(ex);
			if (cause instanceof IOException || cause instanceof CancellationException) {
				result.completeExceptionally(new ConsulUnreachableException(
						"Could not reach Consul agent at " + this.http.base() + " for the " + what + ": " + describe(cause),
						cause));
			}
			else {
				result.completeExceptionally(cause);
			}
		});
		return result;
	}

	/** A request retried as {@link ConsulClient} describes, for idempotent calls only. */
	CompletableFuture<ConsulAgentClient.Response> idempotent(String what,
			Supplier<CompletableFuture<ConsulAgentClient.Response>> request) {
		if (this.closed.get()) {
			return once(what, request);
		}
		try {
			return Failsafe.with(this.idempotentRetry).with(this.scheduler).getStageAsync(() -> once(what, request));
		}
		catch (RuntimeException ex) {
			// the scheduler was shut down
			return once(what, request);
		}
	}

	/** The error of an answer a call does not accept. */
	ConsulHttpException refused(String what, ConsulAgentClient.Response response) {
		return new ConsulHttpException("Consul agent at " + this.http.base() + " answered the " + what + " with HTTP "
				+ response.status() + " " + response.bodyText(), response.status(), response.bodyText());
	}

	/**
	 * Whether the answer found what was asked for: {@code false} for 404, {@code true} for a success.
	 * @throws ConsulHttpException for any other answer
	 */
	boolean found(String what, ConsulAgentClient.Response response) {
		if (response.status() == 404) {
			return false;
		}
		if (!response.isSuccess()) {
			throw refused(what, response);
		}
		return true;
	}

	/** The call's result from a successful answer; any other answer fails it with {@link #refused}. */
	<T> CompletableFuture<T> expectSuccess(CompletableFuture<ConsulAgentClient.Response> call, String what,
			Function<ConsulAgentClient.Response, T> onSuccess) {
		return call.thenApply((response) -> {
			if (!response.isSuccess()) {
				throw refused(what, response);
			}
			return onSuccess.apply(response);
		});
	}

	/** The HTTP timeout of a blocking query that the agent may hold for {@code wait}. */
	Duration blockingTimeout(Duration wait) {
		// Consul adds up to wait/16 of jitter; the request timeout covers it plus the usual answer time
		return wait.plus(wait.dividedBy(16)).plus(this.connection.requestTimeout());
	}

	/**
	 * Stops the HTTP threads, and the scheduler when it is the transport's own; waits up to 5s for each.
	 * Idempotent.
	 */
	void close() {
		if (!this.closed.compareAndSet(false, true)) {
			return;
		}
		if (this.ownsScheduler) {
			this.scheduler.shutdownNow();
		}
		this.httpExecutor.shutdownNow();
		try {
			boolean schedulerStopped = !this.ownsScheduler || this.scheduler.awaitTermination(5, TimeUnit.SECONDS);
			boolean httpStopped = this.httpExecutor.awaitTermination(5, TimeUnit.SECONDS);
			if (!schedulerStopped || !httpStopped) {
				logger.warn("Consul client threads did not stop within 5 seconds");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	static String describe(Throwable ex) {
		String message = ex.getMessage();
		return ex.getClass().getSimpleName() + ((message != null && !message.isBlank()) ? ": " + message : "");
	}

	private static boolean isRetryable(Throwable failure) {
		Throwable cause = ConsulClient.unwrap(failure);
		if (cause instanceof ConsulUnreachableException) {
			return true;
		}
		return cause instanceof ConsulHttpException http && isTransient(http.status());
	}

	/** Too many requests, or a proxy or the agent is briefly unable to answer: worth another try. */
	private static boolean isTransient(int status) {
		return status == 429 || status == 502 || status == 503 || status == 504;
	}

}
