package dev.grpcscale.test.etcd;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import javax.net.ssl.SSLContext;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Asks members over their client port's HTTP gateway: their {@code /health}, waited for until it is
 * {@code "true"}, and their {@code /v3/maintenance/status}.
 */
final class MemberProbe {

	/** How long a member may take to become healthy. */
	static final Duration START_TIMEOUT = Duration.ofSeconds(20);

	private static final Duration HEALTH_POLL = Duration.ofMillis(50);

	private final HttpClient http;

	/**
	 * @param tls the context that trusts the members' client certificate, or {@code null} for plain HTTP
	 */
	MemberProbe(@Nullable SSLContext tls) {
		HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1));
		if (tls != null) {
			http.sslContext(tls);
		}
		this.http = http.build();
	}

	/**
	 * The member's status answer.
	 * @return the body, or {@code null} when the member does not answer (paused or starting)
	 */
	@Nullable String status(MemberEndpoints member) {
		HttpRequest request = HttpRequest.newBuilder(URI.create(member.clientUrl() + "/v3/maintenance/status"))
			.timeout(Duration.ofSeconds(1))
			.POST(HttpRequest.BodyPublishers.ofString("{}"))
			.build();
		try {
			return this.http.send(request, HttpResponse.BodyHandlers.ofString()).body();
		}
		catch (IOException ex) {
			// a paused or starting member
			return null;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Waits until a member answers {@code /health} with {@code "health":"true"}.
	 * @throws IllegalStateException at once if its process exits, or if it is not healthy within
	 * {@link #START_TIMEOUT}; both name its log
	 */
	void awaitHealthy(EtcdMember member) {
		MemberEndpoints endpoints = member.endpoints();
		HttpRequest request = HttpRequest.newBuilder(URI.create(endpoints.clientUrl() + "/health"))
			.timeout(Duration.ofSeconds(1))
			.build();
		try {
			Awaitility.await("etcd member " + endpoints.name() + " healthy")
				.atMost(START_TIMEOUT)
				.pollInterval(HEALTH_POLL)
				.pollInSameThread()
				.ignoreExceptionsInstanceOf(IOException.class) // not listening yet
				.until(() -> {
					if (!member.isRunning()) {
						throw new IllegalStateException(
								"etcd member " + endpoints.name() + " exited; see " + endpoints.log());
					}
					HttpResponse<String> response = this.http.send(request, HttpResponse.BodyHandlers.ofString());
					return response.statusCode() == 200
							&& response.body().replace(" ", "").contains("\"health\":\"true\"");
				});
		}
		catch (ConditionTimeoutException ex) {
			throw new IllegalStateException("etcd member " + endpoints.name() + " not healthy after " + START_TIMEOUT
					+ "; see " + endpoints.log(), ex);
		}
	}

}
