package dev.grpcscale.test.consul;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.test.consul.FakeConsulAgent.Request;
import dev.grpcscale.test.junit.CloseAfterEach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/** The agent over HTTP: what it records, how it answers, how it stops and comes back. */
class FakeConsulAgentTests {

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@Test
	void everyRequestIsRecordedDecodedWithLowerCaseHeaderNames() throws Exception {
		FakeConsulAgent agent = this.resources.track(new FakeConsulAgent());
		send(agent, HttpRequest.newBuilder(uri(agent, "/v1/kv/election%2Fleader?acquire=s%201&recurse"))
			.header("X-Consul-Token", "secret")
			.PUT(HttpRequest.BodyPublishers.ofString("node-1")));
		Request request = agent.requests("PUT", "/v1/kv/").get(0);
		assertThat(request.path()).isEqualTo("/v1/kv/election/leader");
		assertThat(request.query()).containsEntry("acquire", "s 1").containsEntry("recurse", "");
		assertThat(request.header("x-consul-TOKEN")).containsExactly("secret");
		assertThat(request.headers()).containsKey("x-consul-token");
		assertThat(request.body()).isEqualTo("node-1");
		assertThat(agent.requests()).hasSize(1);
		assertThat(agent.requests("GET", "/v1/kv/")).isEmpty();
	}

	@Test
	void healthIsServedWithItsConsulIndex() throws Exception {
		FakeConsulAgent agent = this.resources.track(new FakeConsulAgent());
		agent.setHealth("orders", 42, "[{\"Service\":{\"ID\":\"orders-1\"}}]");
		HttpResponse<String> response = get(agent, "/v1/health/service/orders");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("X-Consul-Index")).hasValue("42");
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
		assertThat(response.body()).contains("orders-1");
	}

	@Test
	void blockingHealthQueryIsAnsweredWhenTheServiceChanges() throws Exception {
		FakeConsulAgent agent = this.resources.track(new FakeConsulAgent());
		agent.setHealth("orders", 5, "[]");
		CompletableFuture<HttpResponse<String>> query = this.http.sendAsync(
				HttpRequest.newBuilder(uri(agent, "/v1/health/service/orders?index=5&wait=1m")).build(),
				HttpResponse.BodyHandlers.ofString());
		Awaitility.await().atMost(Duration.ofSeconds(30))
			.until(() -> !agent.requests("GET", "/v1/health/service/orders").isEmpty());
		agent.setHealth("orders", 6, "[{}]");
		HttpResponse<String> response = query.get(30, TimeUnit.SECONDS);
		assertThat(response.headers().firstValue("X-Consul-Index")).hasValue("6");
		assertThat(response.body()).isEqualTo("[{}]");
	}

	@Test
	void failureAnswersEveryRequestUntilCleared() throws Exception {
		FakeConsulAgent agent = this.resources.track(new FakeConsulAgent());
		agent.failWith(500);
		HttpResponse<String> failed = get(agent, "/v1/status/leader");
		assertThat(failed.statusCode()).isEqualTo(500);
		assertThat(failed.body()).isEqualTo("rpc error: No cluster leader");
		agent.failWith(0);
		assertThat(get(agent, "/v1/status/leader").body()).isEqualTo("\"127.0.0.1:8300\"");
	}

	@Test
	void unknownRouteIsNotFound() throws Exception {
		FakeConsulAgent agent = this.resources.track(new FakeConsulAgent());
		HttpResponse<String> response = get(agent, "/v1/catalog/services");
		assertThat(response.statusCode()).isEqualTo(404);
		assertThat(response.body()).isEqualTo("no handler for GET /v1/catalog/services");
		assertThat(get(agent, "/v1/session/create").statusCode()).as("create is a PUT").isEqualTo(404);
	}

	@Test
	void stoppedAgentRefusesConnectionsAndComesBackOnTheSamePortWithItsState() throws Exception {
		FakeConsulAgent agent = this.resources.track(new FakeConsulAgent());
		int port = agent.port();
		send(agent, HttpRequest.newBuilder(uri(agent, "/v1/agent/service/register"))
			.PUT(HttpRequest.BodyPublishers.ofString("{\"ID\":\"orders-1\",\"Name\":\"orders\"}")));
		agent.stop();
		agent.stop();
		assertThatIOException().isThrownBy(() -> get(agent, "/v1/status/leader"));
		agent.restart();
		assertThat(agent.port()).isEqualTo(port);
		assertThat(get(agent, "/v1/agent/service/orders-1").statusCode()).isEqualTo(200);
		assertThat(agent.knowsService("orders-1")).isTrue();
		assertThat(agent.registration("orders-1").path("Name").asString()).isEqualTo("orders");
	}

	@Test
	void stopEndsABlockedKvQueryWithoutAnAnswer() throws Exception {
		FakeConsulAgent agent = this.resources.track(new FakeConsulAgent());
		CompletableFuture<HttpResponse<String>> query = this.http.sendAsync(
				HttpRequest.newBuilder(uri(agent, "/v1/kv/leader?index=100&wait=5m")).build(),
				HttpResponse.BodyHandlers.ofString());
		Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !agent.requests("GET", "/v1/kv/").isEmpty());
		agent.stop();
		Awaitility.await().atMost(Duration.ofSeconds(30)).until(query::isDone);
		assertThat(query).isCompletedExceptionally();
	}

	@Test
	void expiredSessionReleasesTheLockItHeld() throws Exception {
		FakeConsulAgent agent = this.resources.track(new FakeConsulAgent());
		String created = send(agent, HttpRequest.newBuilder(uri(agent, "/v1/session/create"))
			.PUT(HttpRequest.BodyPublishers.ofString("{\"TTL\":\"10s\",\"LockDelay\":\"0s\"}"))).body();
		String session = agent.sessionIds().get(0);
		assertThat(created).contains(session);
		assertThat(agent.sessionRequest(session).path("TTL").asString()).isEqualTo("10s");
		assertThat(send(agent, HttpRequest.newBuilder(uri(agent, "/v1/kv/leader?acquire=" + session))
			.PUT(HttpRequest.BodyPublishers.ofString("node-1"))).body()).isEqualTo("true");
		assertThat(agent.kvEntry("leader").session()).isEqualTo(session);
		agent.expireSession(session);
		assertThat(agent.kvEntry("leader").session()).isEmpty();
		assertThat(agent.sessionIds()).isEmpty();
		HttpResponse<String> read = get(agent, "/v1/kv/leader");
		assertThat(read.body()).contains("\"LockIndex\":1").doesNotContain("Session");
	}

	private HttpResponse<String> get(FakeConsulAgent agent, String path) throws IOException, InterruptedException {
		return send(agent, HttpRequest.newBuilder(uri(agent, path)));
	}

	private HttpResponse<String> send(FakeConsulAgent agent, HttpRequest.Builder request)
			throws IOException, InterruptedException {
		return this.http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
	}

	private static URI uri(FakeConsulAgent agent, String pathAndQuery) {
		return URI.create("http://127.0.0.1:" + agent.port() + pathAndQuery);
	}

}
