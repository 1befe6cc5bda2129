package dev.grpcscale.consul;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.consul.ConsulLeaderElection;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.consul.ConsulServiceRegistry;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

class ConsulClientTests {

	private static final String TOKEN = "c0nsul-s3cret-acl-token-91";

	private FakeConsulAgent agent;

	private final RecordingScheduler scheduler = new RecordingScheduler();

	@BeforeEach
	void startAgent() throws Exception {
		this.agent = new FakeConsulAgent();
	}

	@AfterEach
	void stop() {
		this.agent.close();
		this.scheduler.shutdownNow();
	}

	@Test
	void idempotentCallIsRetriedAfterPausesThatGrowUpToTheMaxThenFailsWithTheStatus() {
		this.agent.failWith(503);
		try (ConsulClient client = client().maxRetries(3)
			.retryBackoff(Duration.ofMillis(100), Duration.ofMillis(250))
			.random(() -> 0.5)
			.build()) {
			assertThatExceptionOfType(ConsulHttpException.class).isThrownBy(() -> client.agent().ping())
				.satisfies((ex) -> assertThat(ex.status()).isEqualTo(503))
				.withMessageContaining("status request with HTTP 503");

			assertThat(this.agent.requests("GET", "/v1/status/leader")).hasSize(4);
			// steps 100, 200, 250 (capped), each less a quarter: the jitter source says 0.5 of the allowed half
			assertThat(this.scheduler.pauses()).containsExactly(Duration.ofMillis(75), Duration.ofMillis(150),
					Duration.ofNanos(187_500_000));
		}
	}

	@Test
	void retriedCallSucceedsOnceTheAgentAnswersAgain() {
		this.agent.failWith(503);
		try (ConsulClient client = client().maxRetries(100).retryBackoff(Duration.ofMillis(5), Duration.ofMillis(5))
			.build()) {
			CompletableFuture<Boolean> renewal = client.session().renew("no-such-session");
			await().atMost(Duration.ofSeconds(5))
				.until(() -> this.agent.requests("PUT", "/v1/session/renew/").size() >= 2);
			this.agent.failWith(0);

			assertThat(renewal.join()).isFalse();
		}
	}

	@Test
	void callsThatMustNotBeRepeatedAreSentOnce() {
		this.agent.failWith(503);
		try (ConsulClient client = client().build()) {
			assertThatExceptionOfType(ConsulHttpException.class)
				.isThrownBy(() -> ConsulClient.await(client.session().create("s", Duration.ofSeconds(10), Duration.ZERO)));
			assertThatExceptionOfType(ConsulHttpException.class).isThrownBy(
					() -> ConsulClient.await(client.kv().acquire("k", "session", "v".getBytes(StandardCharsets.UTF_8))));

			assertThat(this.agent.requests("PUT", "/v1/session/create")).hasSize(1);
			assertThat(this.agent.requests("PUT", "/v1/kv/k")).hasSize(1);
			assertThat(this.scheduler.pauses()).isEmpty();
		}
	}

	@Test
	void refusalsThatRetryingCannotFixAreNotRetried() {
		this.agent.failWith(403);
		try (ConsulClient client = client().build()) {
			assertThatExceptionOfType(ConsulHttpException.class).isThrownBy(() -> client.agent().ping())
				.satisfies((ex) -> assertThat(ex.isServerError()).isFalse());
			assertThat(this.agent.requests("GET", "/v1/status/leader")).hasSize(1);
		}
	}

	@Test
	void noAnswerIsAnUnreachableErrorThatNamesTheAgentButNotTheToken() throws Exception {
		int closedPort;
		try (ServerSocket socket = new ServerSocket(0)) {
			closedPort = socket.getLocalPort();
		}
		ConsulConnection connection = ConsulConnection.builder().host("127.0.0.1").port(closedPort).token(TOKEN)
			.requestTimeout(Duration.ofSeconds(2)).build();
		try (ConsulClient client = ConsulClient.builder().connection(connection).scheduler(this.scheduler)
			.retryBackoff(Duration.ofMillis(1), Duration.ofMillis(2)).build()) {
			assertThatExceptionOfType(ConsulUnreachableException.class).isThrownBy(() -> client.agent().deregister("i-1"))
				.withMessageContaining("127.0.0.1:" + closedPort)
				.withMessageNotContaining(TOKEN);
			assertThat(this.scheduler.pauses()).hasSize(2);
			assertThat(client.toString()).isEqualTo("ConsulClient[agent=http://127.0.0.1:" + closedPort
					+ "/, aclToken=(set)]");
		}
	}

	@Test
	void retryUntilSuccessPausesLongerAfterEachFailureAndStartsOverAfterASuccess() {
		try (ConsulClient client = client().random(() -> 0).build()) {
			List<Throwable> failures = new CopyOnWriteArrayList<>();
			AtomicInteger attempts = new AtomicInteger();
			// fails three times, then succeeds; then the same again
			java.util.function.Supplier<CompletableFuture<String>> query = () -> (attempts.incrementAndGet() % 4 != 0)
					? CompletableFuture.failedFuture(new ConsulUnreachableException("down", new java.io.IOException()))
					: CompletableFuture.completedFuture("answer");

			assertThat(client.retryUntilSuccess(query, Duration.ofSeconds(1), Duration.ofSeconds(3), failures::add)
				.join()).isEqualTo("answer");
			assertThat(this.scheduler.pauses()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2),
					Duration.ofSeconds(3));
			assertThat(failures).hasSize(3).allMatch(ConsulUnreachableException.class::isInstance);

			this.scheduler.clear();
			assertThat(client.retryUntilSuccess(query, Duration.ofSeconds(1), Duration.ofSeconds(3), failures::add)
				.join()).isEqualTo("answer");
			assertThat(this.scheduler.pauses()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2),
					Duration.ofSeconds(3));
		}
	}

	@Test
	void retryUntilSuccessStopsWhenCancelled() {
		try (ConsulClient client = client().build()) {
			AtomicInteger attempts = new AtomicInteger();
			CompletableFuture<String> watch = client.retryUntilSuccess(() -> {
				attempts.incrementAndGet();
				return CompletableFuture.failedFuture(new ConsulUnreachableException("down", new java.io.IOException()));
			}, Duration.ofMillis(1), Duration.ofMillis(1), (ex) -> {
			});
			await().atMost(Duration.ofSeconds(5)).until(() -> attempts.get() >= 3);

			watch.cancel(false);
			int stoppedAt = attempts.get();

			await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(10))
				.until(() -> attempts.get() <= stoppedAt + 1);
		}
	}

	@Test
	void retryUntilSuccessEndsWhenTheClientIsClosedEvenOnAGivenScheduler() {
		ConsulClient client = client().build();
		AtomicInteger attempts = new AtomicInteger();
		CompletableFuture<String> watch = client.retryUntilSuccess(() -> {
			attempts.incrementAndGet();
			return CompletableFuture.failedFuture(new ConsulUnreachableException("down", new java.io.IOException()));
		}, Duration.ofMillis(1), Duration.ofMillis(1), (ex) -> {
		});
		await().atMost(Duration.ofSeconds(5)).until(() -> attempts.get() >= 2);

		client.close();

		await().atMost(Duration.ofSeconds(5)).until(watch::isDone);
		assertThat(watch).isCompletedExceptionally();
		assertThat(this.scheduler.isShutdown()).isFalse();
	}

	@Test
	void agentCallsRegisterPassCheckAndDeregisterAServiceWithTheTokenAsHeaderOnly() {
		try (ConsulClient client = ConsulClient.builder().connection(connection().token(TOKEN).build()).build()) {
			ObjectNode registration = JsonMapper.shared().createObjectNode();
			registration.put("ID", "orders-1");
			registration.put("Name", "orders");
			registration.putObject("Check").put("CheckID", "service:orders-1").put("TTL", "10s");

			client.agent().register(registration);

			assertThat(client.agent().hasService("orders-1")).isTrue();
			assertThat(client.agent().passTtlCheck("service:orders-1")).isTrue();
			assertThat(client.agent().passTtlCheck("service:unknown")).isFalse();
			assertThat(client.agent().deregister("orders-1")).isTrue();
			assertThat(client.agent().hasService("orders-1")).isFalse();
			assertThat(this.agent.requests()).isNotEmpty().allSatisfy((request) -> {
				assertThat(request.header("X-Consul-Token")).containsExactly(TOKEN);
				assertThat(request.path() + request.query()).doesNotContain(TOKEN);
			});
		}
	}

	@Test
	void sessionAndKvCallsElectWithAcquireReadReleaseAndDestroy() {
		try (ConsulClient client = client().build()) {
			String session = client.session().create("node-1", Duration.ofSeconds(10), Duration.ZERO).join();
			byte[] value = "{\"nodeId\":\"n1\"}".getBytes(StandardCharsets.UTF_8);

			assertThat(client.kv().acquire("app/leader", session, value).join()).isTrue();
			assertThat(client.kv().acquire("app/leader", "other-session", value).join()).isFalse();
			ConsulClient.KvEntry entry = client.kv().get("app/leader").join().first();
			assertThat(entry).isNotNull();
			assertThat(entry.value()).isEqualTo("{\"nodeId\":\"n1\"}");
			assertThat(entry.session()).isEqualTo(session);
			assertThat(entry.modifyIndex()).isPositive();
			assertThat(client.kv().list("app/").join().entries()).extracting(ConsulClient.KvEntry::key)
				.containsExactly("app/leader");
			assertThat(client.kv().get("app/none").join().entries()).isEmpty();
			ConsulClient.KvEntries current = client.kv().get("app/leader").join();
			assertThat(client.kv().blockingGet("app/leader", current.index(), Duration.ofMillis(100)).join().index())
				.isEqualTo(current.index());
			assertThat(client.session().renew(session).join()).isTrue();

			assertThat(client.kv().release("app/leader", session).join()).isTrue();
			client.session().destroy(session).join();

			assertThat(client.session().renew(session).join()).isFalse();
			assertThat(client.kv().get("app/leader").join().first().session()).isEmpty();
		}
	}

	@Test
	void closeStopsTheThreadsTheClientStartedButNotAGivenScheduler() {
		ConsulClient own = ConsulClient.create(connection().build());
		own.agent().ping();
		ConsulClient sharing = client().build();
		sharing.agent().ping();

		own.close();
		sharing.close();
		own.close();

		assertThat(own.isClosed()).isTrue();
		assertThat(this.scheduler.isShutdown()).isFalse();
		assertThatExceptionOfType(ConsulException.class).isThrownBy(() -> own.agent().ping());
		await().atMost(Duration.ofSeconds(5)).until(() -> Thread.getAllStackTraces().keySet().stream()
			.filter(Thread::isAlive)
			.noneMatch((thread) -> thread.getName().startsWith("grpc-scale-consul-")));
	}

	@Test
	void registryAndElectionShareAGivenClientAndLeaveItOpen() {
		try (ConsulClient shared = client().build()) {
			ConsulServiceRegistry registry = ConsulServiceRegistry.builder().client(shared).build();
			ConsulLeaderElection election = ConsulLeaderElection.builder().client(shared)
				.settings(LeaderElectionSettings.builder().nodeId("n1").heartbeatInterval(Duration.ofMillis(200))
					.electionTimeout(Duration.ofSeconds(2)).build())
				.build();
			registry.register(new ServiceInstance("orders", "orders-1", "10.0.0.5", 9090, Map.of(), InstanceStatus.UP,
					Instant.EPOCH));
			election.join();
			await().atMost(Duration.ofSeconds(10)).until(election::isLeader);
			assertThat(registry.toString()).contains("agent=" + shared.agentUri());
			assertThat(election.toString()).contains("agent=" + shared.agentUri());

			election.close();
			registry.close();

			assertThat(shared.isClosed()).isFalse();
			shared.agent().ping();
			assertThat(this.agent.knowsService("orders-1")).isFalse();
			assertThat(this.agent.sessionIds()).isEmpty();
		}
	}

	@Test
	void registryWatchRestartsFailedQueriesAfterGrowingPausesThatStartOverAfterAnAnswer() {
		RecordingScheduler pacing = new RecordingScheduler(true);
		this.agent.failWith(500);
		try (ConsulClient shared = ConsulClient.builder().connection(connection().build()).scheduler(pacing)
			.random(() -> 0).build();
				ConsulServiceRegistry registry = ConsulServiceRegistry.builder().client(shared)
					.retryBackoff(Duration.ofMillis(5), Duration.ofMillis(20)).blockingQueryWait(Duration.ofSeconds(1))
					.queryRateLimit(Duration.ofMillis(1)).build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			registry.watch("svc", seen::add);
			await().atMost(Duration.ofSeconds(5)).until(() -> pacing.pauses().size() >= 4);
			assertThat(pacing.pauses().subList(0, 4)).containsExactly(Duration.ofMillis(5), Duration.ofMillis(10),
					Duration.ofMillis(20), Duration.ofMillis(20));

			this.agent.failWith(0);
			this.agent.setHealth("svc", 7, "[]");
			await().atMost(Duration.ofSeconds(5))
				.until(() -> this.agent.requests("GET", "/v1/health/service/svc").stream()
					.anyMatch((request) -> "7".equals(request.query().get("index"))));
			pacing.clear();
			this.agent.failWith(500);

			await().atMost(Duration.ofSeconds(5)).until(() -> pacing.pauses().size() >= 2);
			assertThat(pacing.pauses().subList(0, 2)).containsExactly(Duration.ofMillis(5), Duration.ofMillis(10));
		}
		finally {
			pacing.shutdownNow();
		}
	}

	@Test
	void registryAndElectionRejectAClientTogetherWithAConnection() {
		try (ConsulClient shared = client().build()) {
			assertThatIllegalArgumentException().isThrownBy(
					() -> ConsulServiceRegistry.builder().client(shared).connection(connection().build()).build())
				.withMessageStartingWith("client: given together with a connection");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> ConsulLeaderElection.builder().connection(connection().build()).client(shared)
					.settings(LeaderElectionSettings.builder().nodeId("n1").build()).build())
				.withMessageStartingWith("client: given together with a connection");
		}
	}

	@Test
	void builderRejectsBadRetrySettings() {
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulClient.builder().maxRetries(-1))
			.withMessage("maxRetries: -1 (expected: >= 0)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulClient.builder().retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
			.withMessage("retryBackoff.max: PT1S (expected: >= retryBackoff.initial PT2S)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulClient.builder().retryBackoff(Duration.ZERO, Duration.ofSeconds(1)))
			.withMessage("retryBackoff.initial: PT0S (expected: > 0)");
	}

	private ConsulConnection.Builder connection() {
		return ConsulConnection.builder().host("127.0.0.1").port(this.agent.port()).requestTimeout(Duration.ofSeconds(2));
	}

	private ConsulClient.Builder client() {
		return ConsulClient.builder().connection(connection().build()).scheduler(this.scheduler);
	}

}
