package dev.grpcscale.test.consul;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

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
 */
public final class FakeConsulAgent implements AutoCloseable {

	private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)");

	private final ObjectMapper mapper = new ObjectMapper();

	private final List<Request> requests = new CopyOnWriteArrayList<>();

	private final Object lock = new Object();

	private final Map<String, Health> health = new HashMap<>();

	private final Map<String, JsonNode> services = new ConcurrentHashMap<>();

	private final Set<String> ttlChecks = ConcurrentHashMap.newKeySet();

	private final ExecutorService executor;

	/** KV entries by key; guarded by {@link #lock}. */
	private final Map<String, KvEntry> kv = new TreeMap<>();

	/** Live sessions by id; guarded by {@link #lock}. */
	private final Map<String, Session> sessions = new LinkedHashMap<>();

	/** Lock-delay ends ({@link System#nanoTime()}) by key; guarded by {@link #lock}. */
	private final Map<String, Long> lockDelays = new HashMap<>();

	private final Set<String> failingRenewals = ConcurrentHashMap.newKeySet();

	/** The Raft index stand-in: grows with every write; guarded by {@link #lock}. */
	private long raftIndex = 100;

	/** The index of the last KV change; guarded by {@link #lock}. */
	private long kvIndex = 100;

	private volatile int failStatus;

	private volatile boolean healthFromRegistrations;

	private volatile boolean stopped;

	private HttpServer server;

	private int port;

	private final SSLContext sslContext;

	/** An agent on plain HTTP. */
	public FakeConsulAgent() throws IOException {
		this(null);
	}

	/** An agent on HTTPS with this server context, or plain HTTP when {@code null}. */
	public FakeConsulAgent(SSLContext sslContext) throws IOException {
		this.sslContext = sslContext;
		AtomicInteger threads = new AtomicInteger();
		this.executor = Executors.newCachedThreadPool((runnable) -> {
			Thread thread = new Thread(runnable, "fake-consul-agent-" + threads.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		});
		start(0);
	}

	public int port() {
		return this.port;
	}

	/** Sets what the health endpoint serves for a service and wakes blocked queries. */
	public void setHealth(String service, long index, String jsonBody) {
		synchronized (this.lock) {
			this.health.put(service, new Health(index, jsonBody));
			this.lock.notifyAll();
		}
	}

	/** Answers every request with this status (0: answer normally); wakes blocked queries. */
	public void failWith(int status) {
		synchronized (this.lock) {
			this.failStatus = status;
			this.lock.notifyAll();
		}
	}

	/** Forgets registered services and checks, as an agent restarted without its data directory. */
	public void forgetAgentState() {
		this.services.clear();
		this.ttlChecks.clear();
	}

	public boolean knowsService(String id) {
		return this.services.containsKey(id);
	}

	/** The body an instance was registered with, or {@code null}. */
	public JsonNode registration(String id) {
		return this.services.get(id);
	}

	/**
	 * From now on, registering or deregistering an instance sets the health of its service to every registered
	 * instance of that service, all passing, as an agent whose checks all pass would answer.
	 */
	public void serveRegisteredServicesAsPassing() {
		this.healthFromRegistrations = true;
	}

	public List<Request> requests() {
		return List.copyOf(this.requests);
	}

	public List<Request> requests(String method, String pathPrefix) {
		return this.requests.stream()
			.filter((request) -> request.method().equals(method) && request.path().startsWith(pathPrefix))
			.toList();
	}

	/** Closes the listening socket and open connections: requests fail until {@link #restart()}. */
	public void stop() {
		synchronized (this.lock) {
			if (this.stopped) {
				return;
			}
			this.stopped = true;
			this.lock.notifyAll();
		}
		this.server.stop(0);
	}

	/** Listens again on the same port. */
	public void restart() throws IOException {
		this.stopped = false;
		start(this.port);
	}

	/** Ids of the live sessions, in creation order. */
	public List<String> sessionIds() {
		synchronized (this.lock) {
			return List.copyOf(this.sessions.keySet());
		}
	}

	/** The body a live session was created with, or {@code null}. */
	public JsonNode sessionRequest(String id) {
		synchronized (this.lock) {
			Session session = this.sessions.get(id);
			return (session != null) ? session.request() : null;
		}
	}

	/** Invalidates a session as Consul's TTL timer (or an operator's destroy) would. */
	public void expireSession(String id) {
		synchronized (this.lock) {
			invalidate(id);
		}
	}

	/** Answers renewals of this session with HTTP 500 while {@code failing}, leaving the session alive. */
	public void failRenewals(String sessionId, boolean failing) {
		if (failing) {
			this.failingRenewals.add(sessionId);
		}
		else {
			this.failingRenewals.remove(sessionId);
		}
	}

	/** A KV entry, or {@code null}. */
	public KvEntry kvEntry(String key) {
		synchronized (this.lock) {
			return this.kv.get(key);
		}
	}

	@Override
	public void close() {
		stop();
		this.executor.shutdownNow();
	}

	private void start(int requestedPort) throws IOException {
		InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), requestedPort);
		if (this.sslContext != null) {
			HttpsServer https = HttpsServer.create(address, 0);
			https.setHttpsConfigurator(new HttpsConfigurator(this.sslContext));
			this.server = https;
		}
		else {
			this.server = HttpServer.create(address, 0);
		}
		this.server.setExecutor(this.executor);
		this.server.createContext("/", this::handle);
		this.server.start();
		this.port = this.server.getAddress().getPort();
	}

	private void handle(HttpExchange exchange) throws IOException {
		try (exchange) {
			String body;
			try (InputStream in = exchange.getRequestBody()) {
				body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
			}
			String path = URLDecoder.decode(exchange.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
			Map<String, String> query = parseQuery(exchange.getRequestURI().getRawQuery());
			Map<String, List<String>> headers = new HashMap<>();
			exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(), List.copyOf(values)));
			Request request = new Request(exchange.getRequestMethod(), path, query, headers, body);
			this.requests.add(request);
			if (this.failStatus != 0) {
				respond(exchange, this.failStatus, "rpc error: No cluster leader", null);
				return;
			}
			route(exchange, request);
		}
		catch (IOException | RuntimeException ex) {
			// a client that went away, or a connection closed by stop()
		}
	}

	private void route(HttpExchange exchange, Request request) throws IOException {
		String method = request.method();
		String path = request.path();
		if (method.equals("GET") && path.startsWith("/v1/health/service/")) {
			serveHealth(exchange, path.substring("/v1/health/service/".length()), request.query());
		}
		else if (method.equals("PUT") && path.equals("/v1/agent/service/register")) {
			JsonNode registration = this.mapper.readTree(request.body());
			String id = registration.path("ID").asString();
			this.services.put(id, registration);
			JsonNode check = registration.path("Check");
			if (check.has("TTL")) {
				this.ttlChecks.add(check.path("CheckID").asString());
			}
			registrationsChanged(registration.path("Name").asString());
			respond(exchange, 200, "", null);
		}
		else if (method.equals("PUT") && path.startsWith("/v1/agent/service/deregister/")) {
			String id = path.substring("/v1/agent/service/deregister/".length());
			JsonNode removed = this.services.remove(id);
			if (removed != null) {
				this.ttlChecks.remove(removed.path("Check").path("CheckID").asString());
				registrationsChanged(removed.path("Name").asString());
			}
			respond(exchange, (removed != null) ? 200 : 404, (removed != null) ? "" : "Unknown service ID", null);
		}
		else if (method.equals("GET") && path.startsWith("/v1/agent/service/")) {
			JsonNode service = this.services.get(path.substring("/v1/agent/service/".length()));
			respond(exchange, (service != null) ? 200 : 404,
					(service != null) ? service.toString() : "unknown service ID", null);
		}
		else if (method.equals("PUT") && path.startsWith("/v1/agent/check/pass/")) {
			String checkId = path.substring("/v1/agent/check/pass/".length());
			boolean known = this.ttlChecks.contains(checkId);
			respond(exchange, known ? 200 : 404, known ? "" : "Unknown check ID \"" + checkId + "\"", null);
		}
		else if (path.startsWith("/v1/session/")) {
			routeSession(exchange, request);
		}
		else if (path.startsWith("/v1/kv/")) {
			routeKv(exchange, request);
		}
		else if (method.equals("GET") && path.equals("/v1/status/leader")) {
			respond(exchange, 200, "\"127.0.0.1:8300\"", null);
		}
		else {
			respond(exchange, 404, "no handler for " + method + " " + path, null);
		}
	}

	private void registrationsChanged(String service) {
		if (!this.healthFromRegistrations) {
			return;
		}
		// under the lock, so the last change to be served reads the last registrations
		synchronized (this.lock) {
			ArrayNode entries = this.mapper.createArrayNode();
			for (JsonNode registration : this.services.values()) {
				if (registration.path("Name").asString().equals(service)) {
					ObjectNode entry = entries.addObject();
					entry.putObject("Node").put("Node", "fake").put("Address", "127.0.0.1");
					ObjectNode instance = entry.putObject("Service");
					instance.put("ID", registration.path("ID").asString());
					instance.put("Service", service);
					instance.put("Address", registration.path("Address").asString());
					instance.put("Port", registration.path("Port").asInt());
					instance.set("Tags", registration.get("Tags"));
					instance.set("Meta", registration.get("Meta"));
					entry.putArray("Checks");
				}
			}
			this.raftIndex++;
			setHealth(service, this.raftIndex, entries.toString());
		}
	}

	// ---- sessions ----

	private void routeSession(HttpExchange exchange, Request request) throws IOException {
		String path = request.path();
		if (request.method().equals("PUT") && path.equals("/v1/session/create")) {
			JsonNode body = request.body().isBlank() ? this.mapper.createObjectNode() : this.mapper.readTree(request.body());
			String ttl = body.path("TTL").asString("");
			if (!ttl.isEmpty()) {
				Duration parsed = parseWait(ttl);
				if (parsed.compareTo(Duration.ofSeconds(10)) < 0 || parsed.compareTo(Duration.ofHours(24)) > 0) {
					respond(exchange, 500, "Invalid Session TTL '" + parsed.toNanos() + "', must be between [10s=24h0m0s]",
							null);
					return;
				}
			}
			String behavior = body.path("Behavior").asString("release");
			if (!behavior.equals("release") && !behavior.equals("delete")) {
				respond(exchange, 500, "Invalid Behavior setting '" + behavior + "'", null);
				return;
			}
			Duration lockDelay = parseWait(body.path("LockDelay").asString("15s"));
			String id = UUID.randomUUID().toString();
			synchronized (this.lock) {
				this.raftIndex++;
				this.sessions.put(id, new Session(id, behavior, lockDelay, body));
			}
			respond(exchange, 200, "{\"ID\":\"" + id + "\"}", null);
		}
		else if (request.method().equals("PUT") && path.startsWith("/v1/session/renew/")) {
			String id = path.substring("/v1/session/renew/".length());
			if (this.failingRenewals.contains(id)) {
				respond(exchange, 500, "rpc error making call: rpc error: timeout", null);
				return;
			}
			JsonNode created;
			synchronized (this.lock) {
				Session session = this.sessions.get(id);
				created = (session != null) ? session.request() : null;
			}
			if (created == null) {
				respond(exchange, 404, "Session id '" + id + "' not found", null);
				return;
			}
			ObjectNode entry = this.mapper.createObjectNode();
			entry.put("ID", id);
			entry.put("TTL", created.path("TTL").asString(""));
			respond(exchange, 200, this.mapper.createArrayNode().add(entry).toString(), null);
		}
		else if (request.method().equals("PUT") && path.startsWith("/v1/session/destroy/")) {
			synchronized (this.lock) {
				invalidate(path.substring("/v1/session/destroy/".length()));
			}
			respond(exchange, 200, "true", null);
		}
		else {
			respond(exchange, 404, "no handler for " + request.method() + " " + path, null);
		}
	}

	/** Consul's session invalidation: lock delay, then delete or release of every key the session holds. */
	private void invalidate(String id) {
		Session session = this.sessions.remove(id);
		if (session == null) {
			return;
		}
		long now = System.nanoTime();
		for (KvEntry entry : List.copyOf(this.kv.values())) {
			if (!id.equals(entry.session())) {
				continue;
			}
			if (!session.lockDelay().isZero()) {
				this.lockDelays.put(entry.key(), now + session.lockDelay().toNanos());
			}
			long index = ++this.raftIndex;
			if (session.behavior().equals("delete")) {
				this.kv.remove(entry.key());
			}
			else {
				this.kv.put(entry.key(), new KvEntry(entry.key(), entry.value(), "", entry.lockIndex(),
						entry.createIndex(), index));
			}
			this.kvIndex = index;
		}
		this.lock.notifyAll();
	}

	// ---- KV ----

	private void routeKv(HttpExchange exchange, Request request) throws IOException {
		String key = request.path().substring("/v1/kv/".length());
		switch (request.method()) {
			case "GET" -> serveKv(exchange, key, request.query());
			case "PUT" -> respond(exchange, 200, Boolean.toString(putKv(key, request)), null);
			case "DELETE" -> {
				synchronized (this.lock) {
					if (this.kv.remove(key) != null) {
						this.kvIndex = ++this.raftIndex;
						this.lock.notifyAll();
					}
				}
				respond(exchange, 200, "true", null);
			}
			default -> respond(exchange, 405, "method not allowed", null);
		}
	}

	private boolean putKv(String key, Request request) {
		String acquire = request.query().get("acquire");
		String release = request.query().get("release");
		synchronized (this.lock) {
			KvEntry existing = this.kv.get(key);
			String value = request.body();
			KvEntry next;
			if (acquire != null) {
				if (!this.sessions.containsKey(acquire)) {
					return false;
				}
				Long delayedUntil = this.lockDelays.get(key);
				if (delayedUntil != null && System.nanoTime() - delayedUntil < 0) {
					return false;
				}
				long index = this.raftIndex + 1;
				if (existing == null) {
					next = new KvEntry(key, value, acquire, 1, index, index);
				}
				else if (existing.session().equals(acquire)) {
					next = new KvEntry(key, value, acquire, existing.lockIndex(), existing.createIndex(), index);
				}
				else if (!existing.session().isEmpty()) {
					return false;
				}
				else {
					next = new KvEntry(key, value, acquire, existing.lockIndex() + 1, existing.createIndex(), index);
				}
			}
			else if (release != null) {
				if (existing == null || !existing.session().equals(release)) {
					return false;
				}
				next = new KvEntry(key, existing.value(), "", existing.lockIndex(), existing.createIndex(),
						this.raftIndex + 1);
			}
			else {
				long index = this.raftIndex + 1;
				next = (existing != null) ? new KvEntry(key, value, existing.session(), existing.lockIndex(),
						existing.createIndex(), index) : new KvEntry(key, value, "", 0, index, index);
			}
			this.raftIndex++;
			this.kvIndex = this.raftIndex;
			this.kv.put(key, next);
			this.lock.notifyAll();
			return true;
		}
	}

	private void serveKv(HttpExchange exchange, String key, Map<String, String> query) throws IOException {
		long requested = Long.parseLong(query.getOrDefault("index", "0"));
		long waitNanos = parseWait(query.getOrDefault("wait", "5m")).toNanos();
		boolean recurse = query.containsKey("recurse");
		ArrayNode entries = this.mapper.createArrayNode();
		long index;
		synchronized (this.lock) {
			if (!awaitIndexAbove(requested, waitNanos, () -> this.kvIndex)) {
				return;
			}
			index = this.kvIndex;
			for (KvEntry entry : this.kv.values()) {
				if (recurse ? entry.key().startsWith(key) : entry.key().equals(key)) {
					entries.add(entry.toJson(this.mapper));
				}
			}
		}
		if (this.stopped) {
			return;
		}
		if (this.failStatus != 0) {
			respond(exchange, this.failStatus, "rpc error: No cluster leader", null);
			return;
		}
		if (entries.isEmpty()) {
			respond(exchange, 404, "", index);
			return;
		}
		respond(exchange, 200, entries.toString(), index);
	}

	/**
	 * A blocking query's wait, under {@link #lock}: until {@code index} is above {@code requested} (at once
	 * when {@code requested} is 0), the wait is over, a failure is set or the agent stops.
	 * @return {@code false} when the serving thread was interrupted
	 */
	private boolean awaitIndexAbove(long requested, long waitNanos, LongSupplier index) {
		long deadline = System.nanoTime() + waitNanos;
		while (requested > 0 && index.getAsLong() <= requested && this.failStatus == 0 && !this.stopped) {
			long remaining = deadline - System.nanoTime();
			if (remaining <= 0) {
				return true;
			}
			try {
				TimeUnit.NANOSECONDS.timedWait(this.lock, remaining);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
		}
		return true;
	}

	private void serveHealth(HttpExchange exchange, String service, Map<String, String> query)
			throws IOException {
		long requested = Long.parseLong(query.getOrDefault("index", "0"));
		long waitNanos = parseWait(query.getOrDefault("wait", "5m")).toNanos();
		Health current;
		synchronized (this.lock) {
			if (!awaitIndexAbove(requested, waitNanos,
					() -> this.health.getOrDefault(service, Health.UNKNOWN).index())) {
				return;
			}
			current = this.health.getOrDefault(service, Health.UNKNOWN);
		}
		if (this.stopped) {
			return;
		}
		if (this.failStatus != 0) {
			respond(exchange, this.failStatus, "rpc error: No cluster leader", null);
			return;
		}
		respond(exchange, 200, current.body(), current.index());
	}

	private static void respond(HttpExchange exchange, int status, String body, Long index) throws IOException {
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		if (index != null) {
			exchange.getResponseHeaders().add("X-Consul-Index", Long.toString(index));
		}
		exchange.getResponseHeaders().add("Content-Type", (status == 200) ? "application/json" : "text/plain");
		exchange.sendResponseHeaders(status, (bytes.length == 0) ? -1 : bytes.length);
		if (bytes.length > 0) {
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(bytes);
			}
		}
	}

	private static Map<String, String> parseQuery(String rawQuery) {
		Map<String, String> query = new LinkedHashMap<>();
		if (rawQuery == null || rawQuery.isEmpty()) {
			return query;
		}
		for (String pair : rawQuery.split("&")) {
			int equals = pair.indexOf('=');
			String name = URLDecoder.decode((equals >= 0) ? pair.substring(0, equals) : pair, StandardCharsets.UTF_8);
			String value = (equals >= 0) ? URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8) : "";
			query.put(name, value);
		}
		return query;
	}

	private static Duration parseWait(String wait) {
		Matcher matcher = DURATION.matcher(wait);
		if (!matcher.matches()) {
			throw new IllegalArgumentException("wait: " + wait);
		}
		long amount = Long.parseLong(matcher.group(1));
		return switch (matcher.group(2)) {
			case "ms" -> Duration.ofMillis(amount);
			case "s" -> Duration.ofSeconds(amount);
			default -> Duration.ofMinutes(amount);
		};
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

	private record Session(String id, String behavior, Duration lockDelay, JsonNode request) {
	}

	private record Health(long index, String body) {

		static final Health UNKNOWN = new Health(1, "[]");

	}

}
