package dev.grpcscale.autoconfigure.discovery;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A minimal stand-in for a Consul agent's HTTP API on 127.0.0.1, enough for the auto-configuration tests:
 * agent service registration and deregistration, TTL passes, {@code /v1/status/leader}, and
 * {@code /v1/health/service/<name>} answering every registered instance of the service as passing, with
 * {@code X-Consul-Index} and blocking (up to one second of the requested wait) while {@code index} is
 * current. It records each request's method, path and token. The protocol itself is tested against the
 * fuller fake in grpc-scale-core's tests and, where Docker exists, a real Consul.
 */
final class FakeConsulAgent implements AutoCloseable {

	private static final Pattern INDEX = Pattern.compile("[?&]index=(\\d+)");

	private final JsonMapper json = JsonMapper.shared();

	private final Map<String, JsonNode> services = new ConcurrentHashMap<>();

	private final List<String> requests = new CopyOnWriteArrayList<>();

	private final List<String> tokens = new CopyOnWriteArrayList<>();

	private final Object lock = new Object();

	private final ExecutorService executor = Executors.newCachedThreadPool();

	private final HttpServer server;

	private long index = 1;

	FakeConsulAgent() throws IOException {
		this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		this.server.createContext("/", this::handle);
		this.server.setExecutor(this.executor);
		this.server.start();
	}

	int port() {
		return this.server.getAddress().getPort();
	}

	/** {@code METHOD path} of every request, in order. */
	List<String> requests() {
		return this.requests;
	}

	/** The X-Consul-Token of every request ("" when absent). */
	List<String> tokens() {
		return this.tokens;
	}

	/** The registration body of a registered instance, or null. */
	JsonNode registration(String instanceId) {
		return this.services.get(instanceId);
	}

	private void handle(HttpExchange exchange) throws IOException {
		try (exchange) {
			String method = exchange.getRequestMethod();
			String path = exchange.getRequestURI().getPath();
			String query = (exchange.getRequestURI().getRawQuery() != null) ? "?" + exchange.getRequestURI().getRawQuery() : "";
			this.requests.add(method + " " + path);
			String token = exchange.getRequestHeaders().getFirst("X-Consul-Token");
			this.tokens.add((token != null) ? token : "");
			byte[] body = exchange.getRequestBody().readAllBytes();
			if (method.equals("PUT") && path.equals("/v1/agent/service/register")) {
				JsonNode registration = this.json.readTree(body);
				this.services.put(registration.get("ID").asString(), registration);
				changed();
				send(exchange, 200, "");
			}
			else if (method.equals("PUT") && path.startsWith("/v1/agent/service/deregister/")) {
				boolean known = this.services.remove(path.substring("/v1/agent/service/deregister/".length())) != null;
				changed();
				send(exchange, known ? 200 : 404, "");
			}
			else if (method.equals("GET") && path.startsWith("/v1/agent/service/")) {
				JsonNode registration = this.services.get(path.substring("/v1/agent/service/".length()));
				send(exchange, (registration != null) ? 200 : 404, (registration != null) ? registration.toString() : "");
			}
			else if (method.equals("PUT") && path.startsWith("/v1/agent/check/pass/")) {
				send(exchange, 200, "");
			}
			else if (method.equals("GET") && path.equals("/v1/status/leader")) {
				send(exchange, 200, "\"127.0.0.1:8300\"");
			}
			else if (method.equals("GET") && path.startsWith("/v1/health/service/")) {
				health(exchange, path.substring("/v1/health/service/".length()), query);
			}
			else {
				send(exchange, 404, "");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private void health(HttpExchange exchange, String service, String query) throws IOException, InterruptedException {
		Matcher matcher = INDEX.matcher(query);
		long seen = matcher.find() ? Long.parseLong(matcher.group(1)) : 0;
		long current;
		synchronized (this.lock) {
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
			while (seen > 0 && this.index <= seen && deadline - System.nanoTime() > 0) {
				TimeUnit.NANOSECONDS.timedWait(this.lock, deadline - System.nanoTime());
			}
			current = this.index;
		}
		ArrayNode entries = this.json.createArrayNode();
		for (JsonNode registration : this.services.values()) {
			if (registration.get("Name").asString().equals(service)) {
				ObjectNode entry = entries.addObject();
				entry.putObject("Node").put("Node", "fake").put("Address", "127.0.0.1");
				ObjectNode instance = entry.putObject("Service");
				instance.put("ID", registration.get("ID").asString());
				instance.put("Service", service);
				instance.put("Address", registration.get("Address").asString());
				instance.put("Port", registration.get("Port").asInt());
				instance.set("Tags", registration.get("Tags"));
				instance.set("Meta", registration.get("Meta"));
				entry.putArray("Checks");
			}
		}
		exchange.getResponseHeaders().set("X-Consul-Index", Long.toString(current));
		send(exchange, 200, entries.toString());
	}

	private void changed() {
		synchronized (this.lock) {
			this.index++;
			this.lock.notifyAll();
		}
	}

	private static void send(HttpExchange exchange, int status, String body) throws IOException {
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().set("Content-Type", "application/json");
		exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
		if (bytes.length > 0) {
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(bytes);
			}
		}
	}

	@Override
	public void close() {
		this.server.stop(0);
		this.executor.shutdownNow();
	}

}
