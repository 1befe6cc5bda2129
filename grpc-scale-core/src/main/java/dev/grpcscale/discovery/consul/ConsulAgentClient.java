package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.Executor;

import javax.net.ssl.SSLContext;

import org.jspecify.annotations.Nullable;

/**
 * The few HTTP calls grpc-scale makes on a Consul agent, over the JDK's {@link HttpClient}. Sends the ACL
 * token as the {@code X-Consul-Token} header; never puts it in a URL, a message or {@link #toString()}.
 */
final class ConsulAgentClient {

	static final String TOKEN_HEADER = "X-Consul-Token";

	static final String INDEX_HEADER = "X-Consul-Index";

	private final HttpClient http;

	private final URI base;

	private final @Nullable String token;

	private final Duration requestTimeout;

	ConsulAgentClient(URI base, @Nullable String token, @Nullable SSLContext sslContext, Duration requestTimeout,
			Executor executor) {
		HttpClient.Builder builder = HttpClient.newBuilder()
			.version(HttpClient.Version.HTTP_1_1)
			.connectTimeout(requestTimeout)
			.executor(executor);
		if (sslContext != null) {
			builder.sslContext(sslContext);
		}
		this.http = builder.build();
		this.base = base;
		this.token = token;
		this.requestTimeout = requestTimeout;
	}

	/** The agent's base URI, for messages and status; holds no credentials. */
	URI base() {
		return this.base;
	}

	/** {@code PUT} with a JSON body (or none), answered within the request timeout. */
	Response put(String pathAndQuery, byte @Nullable [] jsonBody) throws IOException, InterruptedException {
		HttpRequest.BodyPublisher publisher = (jsonBody != null) ? HttpRequest.BodyPublishers.ofByteArray(jsonBody)
				: HttpRequest.BodyPublishers.noBody();
		HttpRequest.Builder request = request(pathAndQuery, this.requestTimeout).PUT(publisher);
		if (jsonBody != null) {
			request.header("Content-Type", "application/json");
		}
		return send(request.build());
	}

	/** {@code GET}, answered within the request timeout. */
	Response get(String pathAndQuery) throws IOException, InterruptedException {
		return get(pathAndQuery, this.requestTimeout);
	}

	/** {@code GET} that may take up to {@code timeout} (a blocking query's wait plus slack). */
	Response get(String pathAndQuery, Duration timeout) throws IOException, InterruptedException {
		return send(request(pathAndQuery, timeout).GET().build());
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
		HttpResponse<byte[]> response = this.http.send(request, HttpResponse.BodyHandlers.ofByteArray());
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
	record Response(int status, OptionalLong index, byte[] body) {

		boolean isSuccess() {
			return this.status >= 200 && this.status < 300;
		}

		/** The body as text, cut to a length fit for a log line or an exception message. */
		String bodyText() {
			String text = new String(this.body, StandardCharsets.UTF_8).strip();
			return (text.length() > 200) ? text.substring(0, 200) + "..." : text;
		}

	}

}
