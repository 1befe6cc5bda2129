package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

/**
 * A small stand-in for a Consul agent's HTTP API on 127.0.0.1, speaking the documented responses of the
 * endpoints the registry uses, and recording every request.
 *
 * <ul>
 * <li>{@code GET /v1/health/service/<name>}: serves what {@link #setHealth} set, with
 * {@code X-Consul-Index}; with {@code index=N} (N &gt; 0) it blocks, as Consul does, while the current
 * index is {@code <= N}, up to {@code wait}.</li>
 * <li>{@code PUT /v1/agent/service/register}, {@code PUT /v1/agent/service/deregister/<id>},
 * {@code GET /v1/agent/service/<id>}, {@code PUT /v1/agent/check/pass/<checkId>} (404 "Unknown check
 * ID" for a check it does not hold), {@code GET /v1/status/leader}.</li>
 * </ul>
 * {@link #failWith(int)} answers every request with a server error; {@link #stop()} and
 * {@link #restart()} make connections fail and come back on the same port.
 */
final class FakeConsulAgent implements AutoCloseable {

	private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)");

	private final ObjectMapper mapper = new ObjectMapper();

	private final List<Request> requests = new CopyOnWriteArrayList<>();

	private final Object lock = new Object();

	private final Map<String, Health> health = new HashMap<>();

	private final Map<String, JsonNode> services = new ConcurrentHashMap<>();

	private final Set<String> ttlChecks = ConcurrentHashMap.newKeySet();

	private final ExecutorService executor;

	private volatile int failStatus;

	private volatile boolean stopped;

	private HttpServer server;

	private int port;

	private final SSLContext sslContext;

	/** An agent on plain HTTP. */
	FakeConsulAgent() throws IOException {
		this(null);
	}

	/** An agent on HTTPS with this server context, or plain HTTP when {@code null}. */
	FakeConsulAgent(SSLContext sslContext) throws IOException {
		this.sslContext = sslContext;
		AtomicInteger threads = new AtomicInteger();
		this.executor = Executors.newCachedThreadPool((runnable) -> {
			Thread thread = new Thread(runnable, "fake-consul-agent-" + threads.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		});
		start(0);
	}

	int port() {
		return this.port;
	}

	/** Sets what the health endpoint serves for a service and wakes blocked queries. */
	void setHealth(String service, long index, String jsonBody) {
		synchronized (this.lock) {
			this.health.put(service, new Health(index, jsonBody));
			this.lock.notifyAll();
		}
	}

	/** Answers every request with this status (0: answer normally); wakes blocked queries. */
	void failWith(int status) {
		synchronized (this.lock) {
			this.failStatus = status;
			this.lock.notifyAll();
		}
	}

	/** Forgets registered services and checks, as an agent restarted without its data directory. */
	void forgetAgentState() {
		this.services.clear();
		this.ttlChecks.clear();
	}

	boolean knowsService(String id) {
		return this.services.containsKey(id);
	}

	List<Request> requests() {
		return List.copyOf(this.requests);
	}

	List<Request> requests(String method, String pathPrefix) {
		return this.requests.stream()
			.filter((request) -> request.method().equals(method) && request.path().startsWith(pathPrefix))
			.toList();
	}

	/** Closes the listening socket and open connections: requests fail until {@link #restart()}. */
	void stop() {
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
	void restart() throws IOException {
		this.stopped = false;
		start(this.port);
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
			respond(exchange, 200, "", null);
		}
		else if (method.equals("PUT") && path.startsWith("/v1/agent/service/deregister/")) {
			String id = path.substring("/v1/agent/service/deregister/".length());
			JsonNode removed = this.services.remove(id);
			if (removed != null) {
				this.ttlChecks.remove(removed.path("Check").path("CheckID").asString());
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
		else if (method.equals("GET") && path.equals("/v1/status/leader")) {
			respond(exchange, 200, "\"127.0.0.1:8300\"", null);
		}
		else {
			respond(exchange, 404, "no handler for " + method + " " + path, null);
		}
	}

	private void serveHealth(HttpExchange exchange, String service, Map<String, String> query)
			throws IOException {
		long requested = Long.parseLong(query.getOrDefault("index", "0"));
		long waitNanos = parseWait(query.getOrDefault("wait", "5m")).toNanos();
		Health current;
		synchronized (this.lock) {
			long deadline = System.nanoTime() + waitNanos;
			current = this.health.getOrDefault(service, Health.UNKNOWN);
			while (requested > 0 && current.index() <= requested && this.failStatus == 0 && !this.stopped) {
				long remaining = deadline - System.nanoTime();
				if (remaining <= 0) {
					break;
				}
				try {
					TimeUnit.NANOSECONDS.timedWait(this.lock, remaining);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
				current = this.health.getOrDefault(service, Health.UNKNOWN);
			}
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
	record Request(String method, String path, Map<String, String> query, Map<String, List<String>> headers,
			String body) {

		List<String> header(String name) {
			return this.headers.getOrDefault(name.toLowerCase(), new ArrayList<>());
		}

	}

	private record Health(long index, String body) {

		static final Health UNKNOWN = new Health(1, "[]");

	}

}
