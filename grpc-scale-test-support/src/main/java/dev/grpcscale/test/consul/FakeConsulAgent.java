package dev.grpcscale.test.consul;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A small stand-in for a Consul agent's HTTP API on 127.0.0.1, speaking the documented responses of the
 * endpoints the registry uses, and recording every request.
 *
 * <ul>
 * <li>{@code GET /v1/health/service/<name>}: serves what {@link #setHealth} set (or, after
 * {@link #serveRegisteredServicesAsPassing()}, every registered instance of the service as passing), with
 * {@code X-Consul-Index}; with {@code index=N} (N &gt; 0) it blocks, as Consul does, while the current
 * index is {@code <= N}, up to {@code wait}.</li>
 * <li>{@code PUT /v1/agent/service/register}, {@code PUT /v1/agent/service/deregister/<id>},
 * {@code GET /v1/agent/service/<id>}, {@code PUT /v1/agent/check/pass/<checkId>} (404 "Unknown check
 * ID" for a check it does not hold), {@code GET /v1/status/leader}.</li>
 * <li>Sessions: {@code PUT /v1/session/create} (rejects a TTL outside Consul's 10s..24h with HTTP 500, as
 * Consul does), {@code PUT /v1/session/renew/<id>} (404 once the session is gone),
 * {@code PUT /v1/session/destroy/<id>}. Sessions never expire on their own: a test expires one with
 * {@link #expireSession}, as Consul's TTL timer would.</li>
 * <li>KV: {@code GET /v1/kv/<key>} (with {@code recurse}, and blocking on {@code index} while the KV
 * index is {@code <= index}, up to {@code wait}), {@code PUT /v1/kv/<key>} plain, with
 * {@code acquire=<session>} or {@code release=<session>}, {@code DELETE /v1/kv/<key>}. Locks follow
 * Consul's state store: a key's {@code LockIndex} counts acquisitions by a new session and restarts at 1 when
 * the key is deleted; {@code ModifyIndex} is the (global, growing) index of its last write; invalidating a
 * session deletes or releases its keys by the session's {@code Behavior} and blocks their acquisition for
 * its {@code LockDelay}; an explicit release does not.</li>
 * </ul>
 * {@link #failWith(int)} answers every request with a server error; {@link #stop()} and
 * {@link #restart()} make connections fail and come back on the same port.
 *
 * <p>Behind this facade, {@code AgentHttpServer} serves and records, {@code AgentRoutes} routes,
 * {@code AgentServices} and {@code ServiceHealth} keep the catalog, {@code Sessions} and {@code KeyValueStore}
 * the election's state, all under the one monitor of {@code BlockingQueries}, on which blocking queries wait.
 */
public final class FakeConsulAgent implements AutoCloseable {

	private final BlockingQueries queries = new BlockingQueries();

	private final ServiceHealth health = new ServiceHealth(this.queries);

	private final AgentServices services;

	private final KeyValueStore kv;

	private final Sessions sessions;

	private final AgentHttpServer server;

	/** An agent on plain HTTP. */
	public FakeConsulAgent() throws IOException {
		this(null);
	}

	/** An agent on HTTPS with this server context, or plain HTTP when {@code null}. */
	public FakeConsulAgent(@Nullable SSLContext sslContext) throws IOException {
		ObjectMapper mapper = new ObjectMapper();
		this.services = new AgentServices(mapper, this.queries, this.health);
		this.kv = new KeyValueStore(mapper, this.queries);
		this.sessions = new Sessions(mapper, this.queries, this.kv);
		AgentRoutes routes = new AgentRoutes(this.queries, this.health, this.services, this.sessions, this.kv);
		this.server = new AgentHttpServer(sslContext, routes::reply);
	}

	/** The port the agent listens on, the same after {@link #restart()}. */
	public int port() {
		return this.server.port();
	}

	/** Sets what the health endpoint serves for a service and wakes blocked queries. */
	public void setHealth(String service, long index, String jsonBody) {
		this.health.set(service, index, jsonBody);
	}

	/** Answers every request with this status (0: answer normally); wakes blocked queries. */
	public void failWith(int status) {
		this.queries.failWith(status);
	}

	/** Forgets registered services and checks, as an agent restarted without its data directory. */
	public void forgetAgentState() {
		this.services.forget();
	}

	/** Whether an instance with this id is registered. */
	public boolean knowsService(String id) {
		return this.services.registration(id) != null;
	}

	/** The body an instance was registered with, or {@code null}. */
	public @Nullable JsonNode registration(String id) {
		return this.services.registration(id);
	}

	/**
	 * From now on, registering or deregistering an instance sets the health of its service to every registered
	 * instance of that service, all passing, as an agent whose checks all pass would answer.
	 */
	public void serveRegisteredServicesAsPassing() {
		this.services.serveAsPassing();
	}

	/** Every request so far, in arrival order. */
	public List<Request> requests() {
		return this.server.requests();
	}

	/** The requests so far with this method and a path that starts with {@code pathPrefix}. */
	public List<Request> requests(String method, String pathPrefix) {
		return this.server.requests()
			.stream()
			.filter((request) -> request.method().equals(method) && request.path().startsWith(pathPrefix))
			.toList();
	}

	/** Closes the listening socket and open connections: requests fail until {@link #restart()}. */
	public void stop() {
		if (this.queries.stop()) {
			this.server.stop();
		}
	}

	/** Listens again on the same port. */
	public void restart() throws IOException {
		this.queries.restart();
		this.server.restart();
	}

	/** Ids of the live sessions, in creation order. */
	public List<String> sessionIds() {
		return this.sessions.ids();
	}

	/** The body a live session was created with, or {@code null}. */
	public @Nullable JsonNode sessionRequest(String id) {
		return this.sessions.request(id);
	}

	/** Invalidates a session as Consul's TTL timer (or an operator's destroy) would. */
	public void expireSession(String id) {
		this.sessions.invalidate(id);
	}

	/** Answers renewals of this session with HTTP 500 while {@code failing}, leaving the session alive. */
	public void failRenewals(String sessionId, boolean failing) {
		this.sessions.failRenewals(sessionId, failing);
	}

	/** A KV entry, or {@code null}. */
	public @Nullable KvEntry kvEntry(String key) {
		return this.kv.entry(key);
	}

	/** Stops listening and ends the threads that served. */
	@Override
	public void close() {
		stop();
		this.server.close();
	}

	/**
	 * One recorded request.
	 * @param method HTTP method
	 * @param path decoded path
	 * @param query decoded query parameters
	 * @param headers headers, names in lower case
	 * @param body request body
	 */
	public record Request(String method, String path, Map<String, String> query, Map<String, List<String>> headers,
			String body) {

		/** A header's values, by name in any case. */
		public List<String> header(String name) {
			return this.headers.getOrDefault(name.toLowerCase(), new ArrayList<>());
		}

	}

	/**
	 * A KV entry as the fake stores it.
	 * @param key the key
	 * @param value the value as text
	 * @param session the holding session, {@code ""} if none
	 * @param lockIndex how many times a new session acquired it since it was created
	 * @param createIndex the index that created it
	 * @param modifyIndex the index of its last write
	 */
	public record KvEntry(String key, String value, String session, long lockIndex, long createIndex,
			long modifyIndex) {

		ObjectNode toJson(ObjectMapper mapper) {
			ObjectNode node = mapper.createObjectNode();
			node.put("Key", this.key);
			node.put("Value", Base64.getEncoder().encodeToString(this.value.getBytes(StandardCharsets.UTF_8)));
			node.put("Flags", 0);
			if (!this.session.isEmpty()) {
				node.put("Session", this.session);
			}
			node.put("LockIndex", this.lockIndex);
			node.put("CreateIndex", this.createIndex);
			node.put("ModifyIndex", this.modifyIndex);
			return node;
		}

	}

}
