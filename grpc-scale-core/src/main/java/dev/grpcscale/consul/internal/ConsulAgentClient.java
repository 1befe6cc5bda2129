package dev.grpcscale.consul.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import javax.net.ssl.SSLContext;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.consul.ConsulConnection;

/**
 * The few HTTP calls grpc-scale makes on a Consul agent, over the JDK's {@link HttpClient}, blocking or
 * asynchronous. Sends the ACL token as the {@code X-Consul-Token} header; never puts it in a URL, a message
 * or {@link #toString()}.
 */
public final class ConsulAgentClient {

	/** The header that carries the ACL token. */
	public static final String TOKEN_HEADER = "X-Consul-Token";

	/** The header that carries the index of a blocking query's answer. */
	public static final String INDEX_HEADER = "X-Consul-Index";

	private final HttpClient http;

	private final URI base;

	private final @Nullable String token;

	private final Duration requestTimeout;

	/**
	 * A client.
	 * @param connection the agent, its TLS settings, ACL token and request timeout
	 * @param executor runs the HTTP client's work; its threads should be named {@code grpc-scale-*}
	 */
	public ConsulAgentClient(ConsulConnection connection, Executor executor) {
		HttpClient.Builder builder = HttpClient.newBuilder()
			.version(HttpClient.Version.HTTP_1_1)
			.connectTimeout(connection.requestTimeout())
			.executor(executor);
		SSLContext sslContext = connection.sslContext();
		if (sslContext != null) {
			builder.sslContext(sslContext);
		}
		this.http = builder.build();
		this.base = connection.agent();
		this.token = connection.token();
		this.requestTimeout = connection.requestTimeout();
	}

	/** The agent's base URI, for messages and status; holds no credentials. */
	public URI base() {
		return this.base;
	}

	/** {@code PUT} with a JSON body (or none), answered within the request timeout. */
	public Response put(String pathAndQuery, byte @Nullable [] jsonBody) throws IOException, InterruptedException {
		return send(putRequest(pathAndQuery, jsonBody));
	}

	/** {@code GET}, answered within the request timeout. */
	public Response get(String pathAndQuery) throws IOException, InterruptedException {
		return get(pathAndQuery, this.requestTimeout);
	}

	/** {@code GET} that may take up to {@code timeout} (a blocking query's wait plus slack). */
	public Response get(String pathAndQuery, Duration timeout) throws IOException, InterruptedException {
		return send(request(pathAndQuery, timeout).GET().build());
	}

	/** Asynchronous {@code PUT} with a JSON body (or none), answered within the request timeout. */
	public CompletableFuture<Response> putAsync(String pathAndQuery, byte @Nullable [] jsonBody) {
		return sendAsync(putRequest(pathAndQuery, jsonBody));
	}

	/** Asynchronous {@code GET} that may take up to {@code timeout}. */
	public CompletableFuture<Response> getAsync(String pathAndQuery, Duration timeout) {
		return sendAsync(request(pathAndQuery, timeout).GET().build());
	}

	/** Asynchronous {@code GET}, answered within the request timeout. */
	public CompletableFuture<Response> getAsync(String pathAndQuery) {
		return getAsync(pathAndQuery, this.requestTimeout);
	}

	/** Asynchronous {@code DELETE}, answered within the request timeout. */
	public CompletableFuture<Response> deleteAsync(String pathAndQuery) {
		return sendAsync(request(pathAndQuery, this.requestTimeout).DELETE().build());
	}

	private HttpRequest putRequest(String pathAndQuery, byte @Nullable [] jsonBody) {
		HttpRequest.BodyPublisher publisher = (jsonBody != null) ? HttpRequest.BodyPublishers.ofByteArray(jsonBody)
				: HttpRequest.BodyPublishers.noBody();
		HttpRequest.Builder request = request(pathAndQuery, this.requestTimeout).PUT(publisher);
		if (jsonBody != null) {
			request.header("Content-Type", "application/json");
		}
		return request.build();
	}

	private HttpRequest.Builder request(String pathAndQuery, Duration timeout) {
		HttpRequest.Builder builder = HttpRequest.newBuilder(this.base.resolve(pathAndQuery))
			.timeout(timeout)
			.header("Accept", "application/json");
		if (this.token != null) {
			builder.header(TOKEN_HEADER, this.token);
		}
		return builder;
	}

	private Response send(HttpRequest request) throws IOException, InterruptedException {
		return toResponse(this.http.send(request, HttpResponse.BodyHandlers.ofByteArray()));
	}

	private CompletableFuture<Response> sendAsync(HttpRequest request) {
		return this.http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
			.thenApply(ConsulAgentClient::toResponse);
	}

	private static Response toResponse(HttpResponse<byte[]> response) {
		OptionalLong index = OptionalLong.empty();
		String header = response.headers().firstValue(INDEX_HEADER).orElse(null);
		if (header != null) {
			try {
				index = OptionalLong.of(Long.parseUnsignedLong(header.trim()));
			}
			catch (NumberFormatException ex) {
				// an unparsable index is handled like a missing one: the watch sanitises it
			}
		}
		return new Response(response.statusCode(), index, response.body());
	}

	@Override
	public String toString() {
		return "ConsulAgentClient[" + this.base + "]";
	}

	/**
	 * An agent's answer.
	 * @param status HTTP status code
	 * @param index the {@code X-Consul-Index} header, if present and numeric
	 * @param body the raw body
	 */
	public record Response(int status, OptionalLong index, byte[] body) {

		/** Whether the status is 2xx. */
		public boolean isSuccess() {
			return this.status >= 200 && this.status < 300;
		}

		/** The body as text, cut to a length fit for a log line or an exception message. */
		public String bodyText() {
			String text = new String(this.body, StandardCharsets.UTF_8).strip();
			return (text.length() > 200) ? text.substring(0, 200) + "..." : text;
		}

	}

}
