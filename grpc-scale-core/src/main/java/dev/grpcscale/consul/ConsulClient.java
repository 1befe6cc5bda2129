package dev.grpcscale.consul;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

import dev.grpcscale.consul.internal.ConsulAgentClient;
import dev.grpcscale.consul.internal.ConsulDurations;

/**
 * The one client of a Consul agent's HTTP API that an application's Consul registry and Consul election share:
 * it owns the JDK {@code HttpClient}, its threads ({@code grpc-scale-consul-http-N}) and a scheduler for retries,
 * and offers the calls grpc-scale makes as typed sub-clients: {@link #agent()} (service registration and TTL
 * checks), {@link #health()} (blocking queries of passing instances), {@link #session()} and {@link #kv()} (leader
 * election).
 *
 * <pre>{@code
 * try (ConsulClient consul = ConsulClient.create(ConsulConnection.builder().host("consul.local").token(acl).build());
 *         ConsulServiceRegistry registry = ConsulServiceRegistry.builder().client(consul).build();
 *         ConsulLeaderElection election = ConsulLeaderElection.builder().client(consul).settings(settings).build()) {
 *     ...
 * } // the registry and the election close first, then the client
 * }</pre>
 *
 * <p><b>Errors</b> are typed: {@link ConsulUnreachableException} when no answer came, {@link ConsulHttpException}
 * when the agent answered with a status the call does not accept. Answers a call expects (404 for a session that
 * is gone, {@code false} for a lock held by another session) are results, not errors.
 *
 * <p><b>Retries.</b> Idempotent calls (reads, deregistration, TTL passes, session renewal and destruction, KV
 * release) are retried after a failure without an answer or a 429/502/503/504 answer, at most
 * {@link Builder#maxRetries(int)} times, pausing with jittered exponential backoff ({@link Builder#retryBackoff});
 * creating a session and acquiring a key are never retried. Blocking queries are not retried here: a watch
 * restarts them with {@link #retryUntilSuccess}, whose backoff resets after each success. Pauses are tasks on the
 * scheduler, never sleeps.
 *
 * <p>The ACL token is sent as the {@code X-Consul-Token} header only: never in a URL, a message or
 * {@link #toString()}. Thread-safe. Whoever creates the client closes it, after the registries and elections that
 * use it; they never close a client they were given.
 */
public final class ConsulClient implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(ConsulClient.class);

	private final ConsulConnection connection;

	private final ConsulTransport transport;

	private final Agent agent = new Agent();

	private final Health health = new Health();

	private final Session session = new Session();

	private final Kv kv = new Kv();

	private ConsulClient(Builder builder) {
		this.connection = builder.connection;
		if (builder.connection.token() != null && "http".equals(builder.connection.agent().getScheme())) {
			logger.warn("The Consul ACL token is sent unencrypted to {}: use https (in Spring Boot: "
					+ "grpc.scale.service-discovery.consul.scheme=https and .tls.*)", builder.connection.agent());
		}
		this.transport = new ConsulTransport(builder.connection, builder.scheduler, builder.initialBackoff,
				builder.maxBackoff, builder.maxRetries, builder.random);
	}

	/**
	 * A client of the agent of {@code connection}, with its own scheduler and the default retries.
	 * @param connection the agent, its TLS settings, ACL token and request timeout
	 * @return a new client; close it when done
	 */
	public static ConsulClient create(ConsulConnection connection) {
		return builder().connection(connection).build();
	}

	/** Starts a builder; see {@link Builder} for the defaults. */
	public static Builder builder() {
		return new Builder();
	}

	/** The connection settings: agent, TLS, ACL token, request timeout. */
	public ConsulConnection connection() {
		return this.connection;
	}

	/** The agent's base URI, for messages and status; holds no credentials. */
	public URI agentUri() {
		return this.transport.base();
	}

	/** Service registration, TTL checks and the agent's status. */
	public Agent agent() {
		return this.agent;
	}

	/** Blocking queries of a service's passing instances. */
	public Health health() {
		return this.health;
	}

	/** Sessions: create, renew, destroy. */
	public Session session() {
		return this.session;
	}

	/** The KV store: acquire, release, read, list, blocking read. */
	public Kv kv() {
		return this.kv;
	}

	/** Whether {@link #close()} was called. */
	public boolean isClosed() {
		return this.transport.isClosed();
	}

	/**
	 * Runs {@code attempt} until it succeeds, pausing after each failure with jittered exponential backoff
	 * between {@code initialBackoff} and {@code maxBackoff} on this client's scheduler: what a watch does to
	 * restart a failed blocking query. Each call starts from {@code initialBackoff}, so a watch that calls it once
	 * per query has its backoff reset by every success.
	 * @param attempt one attempt, such as one blocking query
	 * @param initialBackoff the first pause
	 * @param maxBackoff the longest pause, at least {@code initialBackoff}
	 * @param onFailedAttempt told of each failure before the pause; must not throw
	 * @param <T> the result type
	 * @return the first successful result; cancel it to stop the attempts; it fails once the client is closed
	 * @throws IllegalArgumentException if a backoff is not positive or {@code maxBackoff < initialBackoff}
	 */
	public <T> CompletableFuture<T> retryUntilSuccess(Supplier<? extends CompletionStage<T>> attempt,
			Duration initialBackoff, Duration maxBackoff, Consumer<Throwable> onFailedAttempt) {
		return this.transport.retryUntilSuccess(attempt, initialBackoff, maxBackoff, onFailedAttempt);
	}

	/**
	 * Waits for a call of a sub-client, for code that runs on a thread of its own.
	 * @param call the call
	 * @param <T> the result type
	 * @return its result
	 * @throws ConsulException if it failed, or the thread was interrupted (the interrupt flag is then set again)
	 */
	public static <T> T await(CompletableFuture<T> call) {
		try {
			return call.get();
		}
		catch (ExecutionException ex) {
			Throwable cause = unwrap(ex);
			if (cause instanceof RuntimeException runtime) {
				throw runtime;
			}
			throw new ConsulException(String.valueOf(cause.getMessage()), cause);
		}
		catch (InterruptedException ex) {
			call.cancel(true);
			Thread.currentThread().interrupt();
			throw new ConsulException("Interrupted while waiting for the Consul agent", ex);
		}
	}

	/**
	 * The exception a failed call of a sub-client stands for: its {@link CompletionException} or
	 * {@link ExecutionException} unwrapped.
	 * @param failure the failure
	 * @return the cause
	 */
	public static Throwable unwrap(Throwable failure) {
		Throwable current = failure;
		while ((current instanceof CompletionException || current instanceof ExecutionException)
				&& current.getCause() != null) {
			current = current.getCause();
		}
		return current;
	}

	/**
	 * Stops the HTTP threads, and the scheduler when the builder was given none. Calls still running fail.
	 * Idempotent.
	 */
	@Override
	public void close() {
		this.transport.close();
	}

	@Override
	public String toString() {
		return "ConsulClient[agent=" + this.transport.base() + ", aclToken="
				+ ((this.connection.token() != null) ? "(set)" : "(none)") + "]";
	}

	private static String encode(String segment) {
		return URLEncoder.encode(segment, StandardCharsets.UTF_8);
	}

	// ---- sub-clients ----

	/**
	 * The agent endpoints grpc-scale calls: service registration and deregistration, TTL check passes, a
	 * service's presence, and the agent's status. Blocking: each call waits for the agent (and its retries).
	 */
	public final class Agent {

		private Agent() {
		}

		/**
		 * Registers a service, or replaces the one with the same ID: {@code PUT /v1/agent/service/register}.
		 * Retried: registering the same definition again is harmless.
		 * @param registration the service definition as Consul documents it ({@code ID}, {@code Name},
		 * {@code Check}, ...)
		 * @throws ConsulException if no answer came, or the agent refused it
		 */
		public void register(JsonNode registration) {
			byte[] body = ConsulPayloads.registration(registration);
			ConsulTransport transport = ConsulClient.this.transport;
			await(transport.expectSuccess(transport.idempotent("registration",
					() -> transport.http().putAsync("/v1/agent/service/register", body)), "registration",
					(response) -> null));
		}

		/**
		 * Deregisters a service of this agent: {@code PUT /v1/agent/service/deregister/<id>}. Retried.
		 * @param serviceId the Consul service ID
		 * @return {@code false} if the agent did not know it (404)
		 * @throws ConsulException if no answer came, or the agent refused it
		 */
		public boolean deregister(String serviceId) {
			ConsulTransport transport = ConsulClient.this.transport;
			return transport.found("deregistration", await(transport.idempotent("deregistration",
					() -> transport.http().putAsync("/v1/agent/service/deregister/" + serviceId, null))));
		}

		/**
		 * Passes a TTL check: {@code PUT /v1/agent/check/pass/<checkId>}. Retried.
		 * @param checkId the check's ID
		 * @return {@code false} if the agent does not know the check (404, or the 500 "does not have associated
		 * TTL" of Consul before 1.10)
		 * @throws ConsulException if no answer came, or the agent refused it otherwise
		 */
		public boolean passTtlCheck(String checkId) {
			ConsulTransport transport = ConsulClient.this.transport;
			ConsulAgentClient.Response response = await(transport.idempotent("TTL pass",
					() -> transport.http().putAsync("/v1/agent/check/pass/" + encode(checkId), null)));
			if (response.status() == 404
					|| (response.status() == 500 && response.bodyText().contains("does not have associated TTL"))) {
				return false;
			}
			if (!response.isSuccess()) {
				throw transport.refused("TTL pass", response);
			}
			return true;
		}

		/**
		 * Whether the agent knows a service: {@code GET /v1/agent/service/<id>}. Retried.
		 * @param serviceId the Consul service ID
		 * @return {@code false} on 404
		 * @throws ConsulException if no answer came, or the agent refused it
		 */
		public boolean hasService(String serviceId) {
			ConsulTransport transport = ConsulClient.this.transport;
			return transport.found("service lookup", await(transport.idempotent("service lookup",
					() -> transport.http().getAsync("/v1/agent/service/" + serviceId))));
		}

		/**
		 * Checks that the agent answers: {@code GET /v1/status/leader}, which needs no ACL. Retried.
		 * @throws ConsulException if no answer came, or the agent answered with an error
		 */
		public void ping() {
			ConsulTransport transport = ConsulClient.this.transport;
			await(transport.expectSuccess(transport.idempotent("status request",
					() -> transport.http().getAsync("/v1/status/leader")), "status request", (response) -> null));
		}

	}

	/** The health endpoint grpc-scale calls: blocking queries of a service's passing instances. */
	public final class Health {

		private Health() {
		}

		/**
		 * A blocking query of a service's passing instances:
		 * {@code GET /v1/health/service/<name>?passing=true&index=<index>&wait=<wait>}. Not retried: a watch
		 * restarts it (see {@link ConsulClient#retryUntilSuccess}).
		 * @param serviceName the service
		 * @param datacenter the datacenter, or {@code null} for the agent's
		 * @param index the index to wait on; 0 answers at once
		 * @param wait how long the agent may hold the query
		 * @return the answer's index and body (a JSON array of entries)
		 */
		public CompletableFuture<IndexedBody> passingInstances(String serviceName, @Nullable String datacenter,
				long index, Duration wait) {
			String path = "/v1/health/service/" + serviceName + "?passing=true"
					+ ((datacenter != null) ? "&dc=" + encode(datacenter) : "") + "&wait="
					+ ConsulDurations.format(wait) + "&index=" + index;
			String what = "health query for '" + serviceName + "'";
			ConsulTransport transport = ConsulClient.this.transport;
			return transport.expectSuccess(
					transport.once(what, () -> transport.http().getAsync(path, transport.blockingTimeout(wait))), what,
					(response) -> new IndexedBody(response.index(), response.body()));
		}

	}

	/** The session endpoints grpc-scale calls, for leader election. */
	public final class Session {

		private Session() {
		}

		/**
		 * Creates a session bound to no health check, only to its TTL, deleting its keys when invalidated:
		 * {@code PUT /v1/session/create}. Never retried (a retry could leave a second session).
		 * @param name the session's name
		 * @param ttl its TTL, 10s to 24h
		 * @param lockDelay its lock delay, 0 to 60s
		 * @return the session ID
		 */
		public CompletableFuture<String> create(String name, Duration ttl, Duration lockDelay) {
			byte[] bytes = ConsulPayloads.sessionCreation(name, ttl, lockDelay);
			String what = "session creation";
			ConsulTransport transport = ConsulClient.this.transport;
			return transport.expectSuccess(
					transport.once(what, () -> transport.http().putAsync("/v1/session/create", bytes)), what,
					(response) -> {
						String id = ConsulPayloads.sessionId(response.body());
						if (id.isEmpty()) {
							throw new ConsulHttpException("Consul agent at " + agentUri()
									+ " created a session without an ID: " + response.bodyText(), response.status(),
									response.bodyText());
						}
						return id;
					});
		}

		/**
		 * Renews a session: {@code PUT /v1/session/renew/<id>}. Retried.
		 * @param sessionId the session
		 * @return {@code false} if the session is gone (404)
		 */
		public CompletableFuture<Boolean> renew(String sessionId) {
			String what = "renewal of session " + sessionId;
			ConsulTransport transport = ConsulClient.this.transport;
			return transport.idempotent(what, () -> transport.http().putAsync("/v1/session/renew/" + sessionId, null))
				.thenApply((response) -> transport.found(what, response));
		}

		/**
		 * Destroys a session: {@code PUT /v1/session/destroy/<id>}; a session already gone (404) is fine.
		 * Retried.
		 * @param sessionId the session
		 * @return done when the agent confirmed it
		 */
		public CompletableFuture<Void> destroy(String sessionId) {
			String what = "destruction of session " + sessionId;
			ConsulTransport transport = ConsulClient.this.transport;
			return transport
				.idempotent(what, () -> transport.http().putAsync("/v1/session/destroy/" + sessionId, null))
				.thenAccept((response) -> {
					if (!response.isSuccess() && response.status() != 404) {
						throw transport.refused(what, response);
					}
				});
		}

	}

	/** The KV endpoints grpc-scale calls, for leader election and membership. */
	public final class Kv {

		private Kv() {
		}

		/**
		 * Writes a key if no other session holds it: {@code PUT /v1/kv/<key>?acquire=<session>}. Never retried.
		 * @param key the key
		 * @param sessionId the session that is to hold it
		 * @param value the value
		 * @return whether the session holds the key now
		 */
		public CompletableFuture<Boolean> acquire(String key, String sessionId, byte[] value) {
			String what = "acquisition of " + key;
			ConsulTransport transport = ConsulClient.this.transport;
			return transport.expectSuccess(transport.once(what,
					() -> transport.http().putAsync("/v1/kv/" + key + "?acquire=" + sessionId, value)), what,
					(response) -> "true".equals(response.bodyText()));
		}

		/**
		 * Releases a key held by a session, with no lock delay: {@code PUT /v1/kv/<key>?release=<session>}.
		 * Retried.
		 * @param key the key
		 * @param sessionId the session that holds it
		 * @return whether the agent released it
		 */
		public CompletableFuture<Boolean> release(String key, String sessionId) {
			String what = "release of " + key;
			ConsulTransport transport = ConsulClient.this.transport;
			return transport.expectSuccess(transport.idempotent(what,
					() -> transport.http().putAsync("/v1/kv/" + key + "?release=" + sessionId, null)), what,
					(response) -> "true".equals(response.bodyText()));
		}

		/**
		 * Reads one key, {@code consistent}: {@code GET /v1/kv/<key>?consistent}. Retried.
		 * @param key the key
		 * @return the entry (none when the key does not exist) and the index
		 */
		public CompletableFuture<KvEntries> get(String key) {
			String what = "read of " + key;
			ConsulTransport transport = ConsulClient.this.transport;
			return transport.idempotent(what, () -> transport.http().getAsync("/v1/kv/" + key + "?consistent"))
				.thenApply((response) -> entries(what, response));
		}

		/**
		 * Reads every key under a prefix, {@code consistent}: {@code GET /v1/kv/<prefix>?recurse=true&consistent}.
		 * Retried.
		 * @param prefix the prefix
		 * @return the entries (none when no key exists) and the index
		 */
		public CompletableFuture<KvEntries> list(String prefix) {
			String what = "read of " + prefix;
			ConsulTransport transport = ConsulClient.this.transport;
			return transport
				.idempotent(what, () -> transport.http().getAsync("/v1/kv/" + prefix + "?recurse=true&consistent"))
				.thenApply((response) -> entries(what, response));
		}

		/**
		 * A blocking read of one key: {@code GET /v1/kv/<key>?index=<index>&wait=<wait>}. Not retried: a watch
		 * restarts it.
		 * @param key the key
		 * @param index the index to wait on; 0 answers at once
		 * @param wait how long the agent may hold the query
		 * @return the entry (none when the key does not exist) and the index
		 */
		public CompletableFuture<KvEntries> blockingGet(String key, long index, Duration wait) {
			String what = "blocking read of " + key;
			String path = "/v1/kv/" + key + "?index=" + index + "&wait=" + ConsulDurations.format(wait);
			ConsulTransport transport = ConsulClient.this.transport;
			return transport.once(what, () -> transport.http().getAsync(path, transport.blockingTimeout(wait)))
				.thenApply((response) -> entries(what, response));
		}

		private KvEntries entries(String what, ConsulAgentClient.Response response) {
			long index = response.index().orElse(0);
			if (response.status() == 404) {
				return new KvEntries(index, List.of());
			}
			if (!response.isSuccess()) {
				throw ConsulClient.this.transport.refused(what, response);
			}
			return new KvEntries(index, ConsulPayloads.kvEntries(response.body()));
		}

	}

	// ---- results ----

	/**
	 * The answer of a blocking query.
	 * @param index the {@code X-Consul-Index} header, if present and numeric
	 * @param body the raw body
	 */
	public record IndexedBody(OptionalLong index, byte[] body) {
	}

	/**
	 * A KV entry as read.
	 * @param key the key
	 * @param value the value, as UTF-8 text
	 * @param session the session holding it, {@code ""} when none
	 * @param modifyIndex the Raft index of its last write
	 */
	public record KvEntry(String key, String value, String session, long modifyIndex) {
	}

	/**
	 * KV entries and the index of the read.
	 * @param index the {@code X-Consul-Index} header, 0 when absent
	 * @param entries the entries, empty when no key exists
	 */
	public record KvEntries(long index, List<KvEntry> entries) {

		/** The first entry, or {@code null}. */
		public @Nullable KvEntry first() {
			return this.entries.isEmpty() ? null : this.entries.get(0);
		}

	}

	/**
	 * Builder for {@link ConsulClient}. Setters check their argument at once and throw
	 * {@link IllegalArgumentException} naming the setting, the value and what is expected. Not thread-safe.
	 */
	public static final class Builder {

		private ConsulConnection connection = ConsulConnection.builder().build();

		private @Nullable ScheduledExecutorService scheduler;

		private Duration initialBackoff = Duration.ofMillis(100);

		private Duration maxBackoff = Duration.ofSeconds(2);

		private int maxRetries = 2;

		private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

		private Builder() {
		}

		/**
		 * The agent, its TLS settings, ACL token and request timeout; default {@code http://localhost:8500}, no
		 * token, request timeout 10s.
		 */
		public Builder connection(ConsulConnection connection) {
			this.connection = Objects.requireNonNull(connection, "connection");
			return this;
		}

		/**
		 * Scheduler of the pauses between attempts; not shut down by {@link ConsulClient#close()}. Default: a
		 * thread of the client's own ({@code grpc-scale-consul-client-N}), stopped on close.
		 */
		public Builder scheduler(ScheduledExecutorService scheduler) {
			this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
			return this;
		}

		/**
		 * Pause before retrying an idempotent call: the step doubles from {@code initial} up to {@code max}, and
		 * each pause is the step less a random part of up to half of it. Defaults 100ms and 2s.
		 * @throws IllegalArgumentException if a duration is not positive, or {@code max < initial}
		 */
		public Builder retryBackoff(Duration initial, Duration max) {
			Objects.requireNonNull(initial, "retryBackoff.initial");
			Objects.requireNonNull(max, "retryBackoff.max");
			if (initial.isZero() || initial.isNegative()) {
				throw new IllegalArgumentException("retryBackoff.initial: " + initial + " (expected: > 0)");
			}
			if (max.compareTo(initial) < 0) {
				throw new IllegalArgumentException(
						"retryBackoff.max: " + max + " (expected: >= retryBackoff.initial " + initial + ")");
			}
			this.initialBackoff = initial;
			this.maxBackoff = max;
			return this;
		}

		/**
		 * How often an idempotent call is retried; default 2, 0 disables retries.
		 * @throws IllegalArgumentException if negative
		 */
		public Builder maxRetries(int maxRetries) {
			if (maxRetries < 0) {
				throw new IllegalArgumentException("maxRetries: " + maxRetries + " (expected: >= 0)");
			}
			this.maxRetries = maxRetries;
			return this;
		}

		/** Source of the jitter, values in {@code [0, 1)}; for tests. */
		Builder random(DoubleSupplier random) {
			this.random = Objects.requireNonNull(random, "random");
			return this;
		}

		/** Builds the client; no request is sent yet. */
		public ConsulClient build() {
			return new ConsulClient(this);
		}

	}

}
