package dev.grpcscale.test.consul;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import javax.net.ssl.SSLContext;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.test.consul.FakeConsulAgent.Request;

/**
 * The agent's HTTP(S) server on 127.0.0.1: it records every request, decoded, hands it to the routes and
 * writes their answer. It can stop (connections fail) and listen again on the same port.
 */
final class AgentHttpServer {

	private final @Nullable SSLContext sslContext;

	private final Function<Request, @Nullable Reply> routes;

	private final List<Request> requests = new CopyOnWriteArrayList<>();

	private final ExecutorService executor;

	private volatile @Nullable HttpServer server;

	private volatile int port;

	/**
	 * Starts listening on a free port.
	 * @param sslContext the server's TLS, or {@code null} for plain HTTP
	 * @param routes the answer to each request, {@code null} for none
	 */
	AgentHttpServer(@Nullable SSLContext sslContext, Function<Request, @Nullable Reply> routes) throws IOException {
		this.sslContext = sslContext;
		this.routes = routes;
		AtomicInteger threads = new AtomicInteger();
		this.executor = Executors.newCachedThreadPool((runnable) -> {
			Thread thread = new Thread(runnable, "fake-consul-agent-" + threads.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		});
		listen(0);
	}

	int port() {
		return this.port;
	}

	/** Every request so far, in arrival order. */
	List<Request> requests() {
		return List.copyOf(this.requests);
	}

	/** Closes the listening socket and open connections. */
	void stop() {
		HttpServer server = this.server;
		if (server != null) {
			server.stop(0);
		}
	}

	/** Listens again on the same port. */
	void restart() throws IOException {
		listen(this.port);
	}

	/** Stops for good, with the threads that served. */
	void close() {
		stop();
		this.executor.shutdownNow();
	}

	private void listen(int requestedPort) throws IOException {
		InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), requestedPort);
		HttpServer server;
		if (this.sslContext != null) {
			HttpsServer https = HttpsServer.create(address, 0);
			https.setHttpsConfigurator(new HttpsConfigurator(this.sslContext));
			server = https;
		}
		else {
			server = HttpServer.create(address, 0);
		}
		server.setExecutor(this.executor);
		server.createContext("/", this::handle);
		server.start();
		this.server = server;
		this.port = server.getAddress().getPort();
	}

	private void handle(HttpExchange exchange) {
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
			Reply reply = this.routes.apply(request);
			if (reply != null) {
				write(exchange, reply);
			}
		}
		catch (IOException | RuntimeException ex) {
			// a client that went away, a connection closed by stop(), or a request the fake cannot read
		}
	}

	private static void write(HttpExchange exchange, Reply reply) throws IOException {
		byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
		if (reply.index() != null) {
			exchange.getResponseHeaders().add("X-Consul-Index", Long.toString(reply.index()));
		}
		exchange.getResponseHeaders().add("Content-Type", (reply.status() == 200) ? "application/json" : "text/plain");
		exchange.sendResponseHeaders(reply.status(), (bytes.length == 0) ? -1 : bytes.length);
		if (bytes.length > 0) {
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(bytes);
			}
		}
	}

	static Map<String, String> parseQuery(@Nullable String rawQuery) {
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

}
