package dev.grpcscale.test.consul;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Consul's sessions: {@code PUT /v1/session/create} (a TTL outside Consul's 10s..24h and a behavior other
 * than {@code release} or {@code delete} are rejected with HTTP 500, as Consul does),
 * {@code PUT /v1/session/renew/<id>} (404 once the session is gone) and {@code PUT /v1/session/destroy/<id>}.
 * Sessions never expire on their own: a test {@link #invalidate invalidates} one as Consul's TTL timer would,
 * which releases or deletes the keys it holds in the {@link KeyValueStore}.
 */
final class Sessions {

	private final ObjectMapper mapper;

	private final BlockingQueries queries;

	private final KeyValueStore kv;

	/** Live sessions by id, in creation order; guarded by the queries' monitor. */
	private final Map<String, Session> sessions = new LinkedHashMap<>();

	private final Set<String> failingRenewals = ConcurrentHashMap.newKeySet();

	Sessions(ObjectMapper mapper, BlockingQueries queries, KeyValueStore kv) {
		this.mapper = mapper;
		this.queries = queries;
		this.kv = kv;
	}

	Reply create(String body) {
		JsonNode request = body.isBlank() ? this.mapper.createObjectNode() : this.mapper.readTree(body);
		String ttl = request.path("TTL").asString("");
		if (!ttl.isEmpty()) {
			Duration parsed = ConsulDuration.parse(ttl);
			if (parsed.compareTo(Duration.ofSeconds(10)) < 0 || parsed.compareTo(Duration.ofHours(24)) > 0) {
				return Reply.of(500, "Invalid Session TTL '" + parsed.toNanos() + "', must be between [10s=24h0m0s]");
			}
		}
		String behavior = request.path("Behavior").asString("release");
		if (!behavior.equals("release") && !behavior.equals("delete")) {
			return Reply.of(500, "Invalid Behavior setting '" + behavior + "'");
		}
		Duration lockDelay = ConsulDuration.parse(request.path("LockDelay").asString("15s"));
		String id = UUID.randomUUID().toString();
		synchronized (this.queries.monitor()) {
			this.queries.advance();
			this.sessions.put(id, new Session(behavior, lockDelay, request));
		}
		return Reply.ok("{\"ID\":\"" + id + "\"}");
	}

	Reply renew(String id) {
		if (this.failingRenewals.contains(id)) {
			return Reply.of(500, "rpc error making call: rpc error: timeout");
		}
		JsonNode created = request(id);
		if (created == null) {
			return Reply.of(404, "Session id '" + id + "' not found");
		}
		ObjectNode entry = this.mapper.createObjectNode();
		entry.put("ID", id);
		entry.put("TTL", created.path("TTL").asString(""));
		return Reply.ok(this.mapper.createArrayNode().add(entry).toString());
	}

	Reply destroy(String id) {
		invalidate(id);
		return Reply.ok("true");
	}

	/** Invalidates a session, as Consul's TTL timer or a destroy does; nothing when it is gone already. */
	void invalidate(String id) {
		synchronized (this.queries.monitor()) {
			Session session = this.sessions.remove(id);
			if (session != null) {
				this.kv.invalidated(id, session.behavior().equals("delete"), session.lockDelay());
				this.queries.changed();
			}
		}
	}

	/** Whether a session is live. */
	boolean isLive(String id) {
		synchronized (this.queries.monitor()) {
			return this.sessions.containsKey(id);
		}
	}

	/** Ids of the live sessions, in creation order. */
	List<String> ids() {
		synchronized (this.queries.monitor()) {
			return List.copyOf(this.sessions.keySet());
		}
	}

	/** The body a live session was created with, or {@code null}. */
	@Nullable JsonNode request(String id) {
		synchronized (this.queries.monitor()) {
			Session session = this.sessions.get(id);
			return (session != null) ? session.request() : null;
		}
	}

	/** Answers renewals of a session with HTTP 500 while {@code failing}, leaving the session alive. */
	void failRenewals(String id, boolean failing) {
		if (failing) {
			this.failingRenewals.add(id);
		}
		else {
			this.failingRenewals.remove(id);
		}
	}

	private record Session(String behavior, Duration lockDelay, JsonNode request) {
	}

}
