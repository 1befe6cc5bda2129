package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;
import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Protocol tests of {@link ConsulServiceRegistry} against {@link FakeConsulAgent}, a local HTTP server
 * answering as Consul's agent API documents. The real-Consul counterpart is
 * {@link ConsulServiceRegistryContainerTests}.
 */
class ConsulServiceRegistryTests {

	private static final String TOKEN = "b1gS3cret-acl-token-4f9e";

	private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

	private final ObjectMapper mapper = new ObjectMapper();

	private FakeConsulAgent agent;

	/** Log events of the Consul package; appended from the registry's threads, read by the test. */
	private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();

	private final AppenderBase<ILoggingEvent> logs = new AppenderBase<>() {

		@Override
		protected void append(ILoggingEvent event) {
			event.prepareForDeferredProcessing();
			ConsulServiceRegistryTests.this.events.add(event);
		}

	};

	private final Logger consulLogger = (Logger) LoggerFactory.getLogger("dev.grpcscale.discovery.consul");

	private Level previousLevel;

	@BeforeEach
	void startAgent() throws IOException {
		this.agent = new FakeConsulAgent();
		this.logs.start();
		this.previousLevel = this.consulLogger.getLevel();
		this.consulLogger.setLevel(Level.DEBUG);
		this.consulLogger.addAppender(this.logs);
	}

	@AfterEach
	void stopAgent() {
		this.consulLogger.detachAppender(this.logs);
		this.consulLogger.setLevel(this.previousLevel);
		this.agent.close();
	}

	// ---- registration ----

	@Test
	void registrationSendsServiceWithGrpcCheckAndDeregisterCriticalServiceAfter() throws IOException {
		try (ConsulServiceRegistry consul = consul().tags("grpc", "v1").build()) {
			consul.register(instance("product-service", "p-1", "10.0.0.5", 9090, Map.of("version", "1.2", "zone", "a")));

			List<FakeConsulAgent.Request> registrations = this.agent.requests("PUT", "/v1/agent/service/register");
			assertThat(registrations).hasSize(1);
			assertThat(registrations.get(0).header("Content-Type")).containsExactly("application/json");
			assertThat(this.mapper.readTree(registrations.get(0).body())).isEqualTo(this.mapper.readTree("""
					{"ID": "p-1", "Name": "product-service", "Address": "10.0.0.5", "Port": 9090,
					 "Tags": ["grpc", "v1"], "Meta": {"version": "1.2", "zone": "a"},
					 "Check": {"CheckID": "service:p-1", "Name": "gRPC health of 10.0.0.5:9090",
					           "GRPC": "10.0.0.5:9090", "GRPCUseTLS": false, "Interval": "10s",
					           "DeregisterCriticalServiceAfter": "1m"}}
					"""));
			assertThat(consul.status().details()).containsEntry("registeredInstances", 1);
		}
	}

	@Test
	void grpcCheckCarriesConfiguredIntervalTlsAndDeregistrationDelay() throws IOException {
		try (ConsulServiceRegistry consul = consul().grpcUseTls(true)
			.checkInterval(Duration.ofMillis(1500))
			.deregisterCriticalAfter(Duration.ofMinutes(5))
			.build()) {
			consul.register(instance("svc", "i-1", "::1", 9090, Map.of()));

			JsonNode check = this.mapper.readTree(this.agent.requests("PUT", "/v1/agent/service/register").get(0).body())
				.path("Check");
			assertThat(check.path("GRPC").asString()).isEqualTo("[::1]:9090");
			assertThat(check.path("GRPCUseTLS").asBoolean()).isTrue();
			assertThat(check.path("Interval").asString()).isEqualTo("1500ms");
			assertThat(check.path("DeregisterCriticalServiceAfter").asString()).isEqualTo("5m");
		}
	}

	@Test
	void ttlCheckIsRegisteredThenPassedEveryThirdOfTheTtl() throws IOException {
		try (ConsulServiceRegistry consul = consul().checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(300))
			.deregisterCriticalAfter(Duration.ofSeconds(90))
			.build()) {
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));

			assertThat(this.mapper.readTree(this.agent.requests("PUT", "/v1/agent/service/register").get(0).body())
				.path("Check")).isEqualTo(this.mapper.readTree("""
						{"CheckID": "service:i-1", "Name": "TTL of svc/i-1", "TTL": "300ms",
						 "DeregisterCriticalServiceAfter": "90s"}
						"""));
			// one pass right after registering, then one every 100 ms
			await().atMost(Duration.ofSeconds(5))
				.until(() -> this.agent.requests("PUT", "/v1/agent/check/pass/service:i-1").size() >= 4);
		}
	}

	@Test
	void ttlPassAnsweredUnknownCheckRegistersTheInstanceAgain() {
		try (ConsulServiceRegistry consul = consul().checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(300))
			.build()) {
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
			this.agent.forgetAgentState();

			await().atMost(Duration.ofSeconds(5)).until(() -> this.agent.knowsService("i-1"));
			assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).hasSize(2);
			int passesAfterRestore = this.agent.requests("PUT", "/v1/agent/check/pass/").size();
			await().atMost(Duration.ofSeconds(5))
				.until(() -> this.agent.requests("PUT", "/v1/agent/check/pass/").size() >= passesAfterRestore + 2);
			assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).hasSize(2);
			assertThat(messages(Level.INFO)).anyMatch((message) -> message.contains("'svc/i-1'")
					&& message.contains("TTL check is unknown to the agent"));
		}
	}

	@Test
	void grpcCheckedInstanceTheAgentForgotIsRegisteredAgain() {
		try (ConsulServiceRegistry consul = consul().checkInterval(Duration.ofMillis(100)).build()) {
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
			await().atMost(Duration.ofSeconds(5))
				.until(() -> !this.agent.requests("GET", "/v1/agent/service/i-1").isEmpty());
			this.agent.forgetAgentState();

			await().atMost(Duration.ofSeconds(5)).until(() -> this.agent.knowsService("i-1"));
			assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).hasSize(2);
		}
	}

	@Test
	void instancesAreRegisteredAgainWhenTheAgentComesBackWithoutThem() throws IOException {
		try (ConsulServiceRegistry consul = consul().checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(300))
			.build()) {
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
			this.agent.stop();
			await().atMost(Duration.ofSeconds(5)).until(() -> !consul.status().reachable());

			this.agent.forgetAgentState();
			this.agent.restart();

			await().atMost(Duration.ofSeconds(5)).until(() -> this.agent.knowsService("i-1"));
			assertThat(consul.status().reachable()).isTrue();
			assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).hasSize(2);
		}
	}

	@Test
	void readsAfterCloseAreEmptyAndNewWatchesAreRefused() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		ConsulServiceRegistry consul = consul().build();
		assertThat(consul.getInstances("svc")).hasSize(1);

		consul.close();

		assertThat(consul.getInstances("svc")).isEmpty();
		assertThat(consul.getServiceNames()).isEmpty();
		org.assertj.core.api.Assertions.assertThatIllegalStateException()
			.isThrownBy(() -> consul.watch("svc", (instances) -> {
			}))
			.withMessage("ConsulServiceRegistry is closed");
	}

	@Test
	void registrationRefusedByTheAgentThrowsAndIsNotKept() {
		try (ConsulServiceRegistry consul = consul().build()) {
			this.agent.failWith(400);

			assertThatExceptionOfType(DiscoveryException.class)
				.isThrownBy(() -> consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of())))
				.withMessageContaining("refused the registration of 'svc/i-1'")
				.withMessageContaining("HTTP 400");
			this.agent.failWith(0);
			assertThat(consul.deregister("svc", "i-1")).isFalse();
			assertThat(consul.status().details()).containsEntry("registeredInstances", 0);
		}
	}

	@Test
	void registrationRejectsMetadataThatConsulMetaCannotHold() {
		try (ConsulServiceRegistry consul = consul().build()) {
			assertThatIllegalArgumentException()
				.isThrownBy(() -> consul.register(instance("svc", "i-1", "h", 1, Map.of("user.name", "x"))))
				.withMessage("metadata key: 'user.name' (expected: 1 to 128 ASCII letters, digits, '_' or '-',"
						+ " not starting with 'consul-', as Consul Meta requires)");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> consul.register(instance("svc", "i-1", "h", 1, Map.of("consul-zone", "x"))))
				.withMessageStartingWith("metadata key: 'consul-zone' (expected:");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> consul.register(instance("svc", "i-1", "h", 1, Map.of("k", "v".repeat(513)))))
				.withMessage("metadata value of 'k': 513 bytes (expected: at most 512 for Consul Meta)");
			Map<String, String> tooMany = new LinkedHashMap<>();
			for (int i = 0; i < 65; i++) {
				tooMany.put("k" + i, "v");
			}
			assertThatIllegalArgumentException()
				.isThrownBy(() -> consul.register(instance("svc", "i-1", "h", 1, tooMany)))
				.withMessage("metadata: 65 entries (expected: at most 64 for Consul Meta)");
			assertThat(this.agent.requests("PUT", "/v1/agent/service/register")).isEmpty();
		}
	}

	@Test
	void sameInstanceIdForAnotherServiceIsRejected() {
		try (ConsulServiceRegistry consul = consul().build()) {
			consul.register(instance("svc-a", "i-1", "10.0.0.5", 9090, Map.of()));

			assertThatIllegalArgumentException()
				.isThrownBy(() -> consul.register(instance("svc-b", "i-1", "10.0.0.5", 9091, Map.of())))
				.withMessage("instanceId: 'i-1' (expected: unique per Consul agent; already registered for service 'svc-a')");
		}
	}

	// ---- deregistration and close ----

	@Test
	void deregisterRemovesTheServiceFromTheAgentAndStopsPassingItsCheck() {
		try (ConsulServiceRegistry consul = consul().checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(150))
			.build()) {
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
			await().atMost(Duration.ofSeconds(5))
				.until(() -> this.agent.requests("PUT", "/v1/agent/check/pass/").size() >= 2);

			assertThat(consul.deregister("svc", "i-1")).isTrue();

			assertThat(this.agent.requests("PUT", "/v1/agent/service/deregister/i-1")).hasSize(1);
			assertThat(this.agent.knowsService("i-1")).isFalse();
			// with nothing left to keep alive, each round only pings the agent; wait for two rounds
			int deregisteredAt = indexOf(this.agent.requests(), "PUT", "/v1/agent/service/deregister/i-1");
			await().atMost(Duration.ofSeconds(5))
				.until(() -> this.agent.requests()
					.subList(deregisteredAt, this.agent.requests().size())
					.stream()
					.filter((request) -> request.path().equals("/v1/status/leader"))
					.count() >= 2);
			// a pass of the round in flight when deregister ran may still reach the agent after it (harmless:
			// the agent answers "unknown check" and nothing is re-registered); from the first round that
			// found nothing to keep alive on, none may
			List<FakeConsulAgent.Request> requests = this.agent.requests();
			List<FakeConsulAgent.Request> afterDeregistration = requests.subList(deregisteredAt + 1, requests.size());
			int firstPing = deregisteredAt + 1 + indexOf(afterDeregistration, "GET", "/v1/status/leader");
			assertThat(requests.subList(firstPing, requests.size()))
				.noneMatch((request) -> request.path().startsWith("/v1/agent/check/pass/"))
				.noneMatch((request) -> request.path().equals("/v1/agent/service/register"));
			assertThat(this.agent.knowsService("i-1")).isFalse();
		}
	}

	@Test
	void deregisterOfAnInstanceThisRegistryDidNotRegisterSendsNothing() {
		try (ConsulServiceRegistry consul = consul().build()) {
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));

			assertThat(consul.deregister("svc", "other")).isFalse();
			assertThat(consul.deregister("other-svc", "i-1")).isFalse();
			assertThat(this.agent.requests("PUT", "/v1/agent/service/deregister/")).isEmpty();
		}
	}

	@Test
	void closeDeregistersOwnedInstancesAndStopsTheThreadsItStarted() {
		ConsulServiceRegistry consul = consul().build();
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
		consul.register(instance("svc", "i-2", "10.0.0.6", 9090, Map.of()));
		assertThat(consul.getInstances("svc")).hasSize(1);
		assertThat(consulThreads()).anyMatch((name) -> name.startsWith("grpc-scale-consul-http-"))
			.anyMatch((name) -> name.startsWith("grpc-scale-consul-registrar-"));

		consul.close();
		consul.close();

		assertThat(this.agent.requests("PUT", "/v1/agent/service/deregister/")).extracting(FakeConsulAgent.Request::path)
			.containsExactlyInAnyOrder("/v1/agent/service/deregister/i-1", "/v1/agent/service/deregister/i-2");
		await().atMost(Duration.ofSeconds(5)).until(() -> consulThreads().isEmpty());
	}

	// ---- the ACL token ----

	@Test
	void tokenIsSentAsHeaderAndNeverShownInStatusToStringLogsOrErrors() {
		List<String> errors = new ArrayList<>();
		try (ConsulServiceRegistry consul = consul(connection().token(TOKEN)).checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(300))
			.build()) {
			this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
			assertThat(consul.getInstances("svc")).hasSize(1);

			this.agent.failWith(500);
			await().atMost(Duration.ofSeconds(5)).until(() -> !consul.status().reachable());
			try {
				consul.register(instance("svc", "i-2", "10.0.0.6", 9090, Map.of()));
			}
			catch (DiscoveryException ex) {
				errors.add(ex.toString());
			}
			this.agent.stop();
			try {
				consul.deregister("svc", "i-1");
			}
			catch (DiscoveryException ex) {
				errors.add(ex.toString() + ex.getCause());
			}

			assertThat(this.agent.requests()).isNotEmpty()
				.allSatisfy((request) -> assertThat(request.header("X-Consul-Token")).containsExactly(TOKEN));
			assertThat(this.agent.requests()).noneMatch((request) -> request.path().contains(TOKEN)
					|| request.query().toString().contains(TOKEN) || request.body().contains(TOKEN));
			DiscoveryStatus status = consul.status();
			assertThat(status.toString()).doesNotContain(TOKEN);
			assertThat(consul.toString()).doesNotContain(TOKEN).contains("aclToken=(set)");
			assertThat(errors).hasSize(2).allSatisfy((error) -> assertThat(error).doesNotContain(TOKEN));
		}
		assertThat(this.events).isNotEmpty().allSatisfy((event) -> {
			assertThat(event.getFormattedMessage()).doesNotContain(TOKEN);
			if (event.getThrowableProxy() != null) {
				assertThat(ThrowableProxyUtil.asString(event.getThrowableProxy())).doesNotContain(TOKEN);
			}
		});
	}

	// ---- blocking queries ----

	@Test
	void firstReadIsAFullReadThenQueriesBlockOnTheReturnedIndex() {
		this.agent.setHealth("svc", 7, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().datacenter("dc2").build()) {
			assertThat(consul.getInstances("svc")).extracting(ServiceInstance::instanceId).containsExactly("i-1");

			await().atMost(Duration.ofSeconds(5)).until(() -> healthIndexes("svc").size() >= 2);
			List<FakeConsulAgent.Request> queries = this.agent.requests("GET", "/v1/health/service/svc");
			assertThat(queries.get(0).query()).containsEntry("index", "0")
				.containsEntry("passing", "true")
				.containsEntry("wait", "1s")
				.containsEntry("dc", "dc2");
			assertThat(queries.get(1).query()).containsEntry("index", "7");
		}
	}

	@Test
	void higherIndexUpdatesTheCacheAndTheListeners() {
		this.agent.setHealth("svc", 7, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);
			await().atMost(Duration.ofSeconds(5)).until(() -> healthIndexes("svc").contains("7"));

			this.agent.setHealth("svc", 8, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of()),
					entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));

			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
			assertThat(seen.get(0)).extracting(ServiceInstance::instanceId).containsExactly("i-1");
			assertThat(seen.get(1)).extracting(ServiceInstance::instanceId).containsExactly("i-1", "i-2");
			assertThat(consul.getInstances("svc")).isEqualTo(seen.get(1));
			assertThat(seen.get(1).get(0)).as("unchanged instance keeps its first-seen time")
				.isEqualTo(seen.get(0).get(0));
		}
	}

	@Test
	void sameIndexAfterTheWaitElapsedDoesNotNotifyTheListeners() {
		this.agent.setHealth("svc", 7, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().blockingQueryWait(Duration.ofMillis(100)).build()) {
			AtomicInteger calls = new AtomicInteger();
			consul.watch("svc", (instances) -> calls.incrementAndGet());

			// three blocking queries on index 7 that each came back unchanged after the wait
			await().atMost(Duration.ofSeconds(5))
				.until(() -> healthIndexes("svc").stream().filter("7"::equals).count() >= 4);
			assertThat(calls).hasValue(1);
		}
	}

	@Test
	void indexGoingBackwardsResetsToZeroAndReadsEverythingAgain() {
		this.agent.setHealth("svc", 10, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().blockingQueryWait(Duration.ofMillis(200)).build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);
			await().atMost(Duration.ofSeconds(5)).until(() -> healthIndexes("svc").contains("10"));

			// a snapshot restore on the servers: the index is lower than the one the client holds
			this.agent.setHealth("svc", 5, health(entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));

			await().atMost(Duration.ofSeconds(5)).until(() -> {
				List<String> indexes = healthIndexes("svc");
				int reset = indexes.lastIndexOf("0");
				return reset > 0 && indexes.subList(reset, indexes.size()).contains("5");
			});
			List<String> indexes = healthIndexes("svc");
			assertThat(indexes.subList(indexes.indexOf("10"), indexes.size())).containsSubsequence("10", "0", "5");
			assertThat(seen.get(seen.size() - 1)).extracting(ServiceInstance::instanceId).containsExactly("i-2");
		}
	}

	@Test
	void indexZeroIsRaisedToOneSoTheNextQueryBlocks() {
		this.agent.setHealth("svc", 0, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);

			await().atMost(Duration.ofSeconds(5)).until(() -> healthIndexes("svc").contains("1"));
			assertThat(healthIndexes("svc")).startsWith("0", "1");
			assertThat(seen).hasSize(1);
			assertThat(seen.get(0)).extracting(ServiceInstance::instanceId).containsExactly("i-1");

			this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of()),
					entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
			assertThat(seen.get(1)).extracting(ServiceInstance::instanceId).containsExactly("i-1", "i-2");
		}
	}

	@Test
	void watchesOfServicesNobodyWatchesOrReadsStopAfterTheIdleTimeoutAndRestartOnTheNextRead() {
		for (int i = 0; i < 10; i++) {
			this.agent.setHealth("svc-" + i, 3, health(entryOf("svc-" + i, "i-" + i)));
		}
		try (ConsulServiceRegistry consul = consul().watchIdleTimeout(Duration.ofMillis(600)).build()) {
			for (int i = 0; i < 10; i++) {
				assertThat(consul.getInstances("svc-" + i)).extracting(ServiceInstance::instanceId)
					.containsExactly("i-" + i);
			}
			Subscription watched = consul.watch("svc-0", (instances) -> {
			});
			assertThat(consul.status().details()).containsEntry("watchedServices", 10);

			await().atMost(Duration.ofSeconds(10)).until(() -> watchedServices(consul) == 1);
			assertThat(consul.getServiceNames()).containsExactly("svc-0");
			// the idle services' loops stopped; the watched one goes on (a query per second's blocking wait)
			int idleQueries = this.agent.requests("GET", "/v1/health/service/svc-5").size();
			int watchedQueries = this.agent.requests("GET", "/v1/health/service/svc-0").size();
			await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(5))
				.until(() -> this.agent.requests("GET", "/v1/health/service/svc-5").size() == idleQueries);
			assertThat(this.agent.requests("GET", "/v1/health/service/svc-0")).hasSizeGreaterThan(watchedQueries);

			// the next read starts the watch again and waits for its answer, as a first read does
			this.agent.setHealth("svc-5", 4, health(entryOf("svc-5", "i-5b")));
			assertThat(consul.getInstances("svc-5")).extracting(ServiceInstance::instanceId).containsExactly("i-5b");
			// its first query was answered; the loop's next (blocking) query may already be on its way
			assertThat(this.agent.requests("GET", "/v1/health/service/svc-5")).hasSizeGreaterThan(idleQueries);
			assertThat(consul.status().details()).containsEntry("watchedServices", 2);

			// a watched service is reclaimed the idle timeout after its last watcher left
			watched.cancel();
			await().atMost(Duration.ofSeconds(10)).until(() -> watchedServices(consul) == 0);
		}
	}

	@Test
	void watchIdleTimeoutMustBePositive() {
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulServiceRegistry.builder().watchIdleTimeout(Duration.ZERO))
			.withMessage("watchIdleTimeout: PT0S (expected: > 0)");
	}

	private static int watchedServices(ConsulServiceRegistry consul) {
		return (Integer) consul.status().details().get("watchedServices");
	}

	private ObjectNode entryOf(String service, String id) {
		ObjectNode entry = entry(id, "10.0.0.5", 9090, "10.9.9.9", Map.of());
		((ObjectNode) entry.get("Service")).put("Service", service);
		return entry;
	}

	// ---- outages ----

	@Test
	void serverErrorsKeepTheCacheAndReportUnreachableUntilTheAgentRecovers() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);
			assertThat(consul.getInstances("svc")).hasSize(1);
			assertThat(consul.status().reachable()).isTrue();

			this.agent.failWith(500);

			await().atMost(Duration.ofSeconds(5)).until(() -> !consul.status().reachable());
			assertThat(consul.getInstances("svc")).extracting(ServiceInstance::instanceId).containsExactly("i-1");
			assertThat(consul.status().details()).hasEntrySatisfying("lastError",
					(error) -> assertThat(error.toString()).contains("HTTP 500"));
			assertThat(seen).hasSize(1);

			this.agent.setHealth("svc", 4, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of()),
					entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));
			this.agent.failWith(0);

			await().atMost(Duration.ofSeconds(5)).until(() -> consul.getInstances("svc").size() == 2);
			assertThat(consul.status().reachable()).isTrue();
			assertThat(consul.status().details()).doesNotContainKey("lastError");
			assertThat(seen).hasSize(2);
			assertThat(messages(Level.WARN)).filteredOn((message) -> message.contains("unreachable")).hasSize(1);
			assertThat(messages(Level.INFO)).anyMatch((message) -> message.contains("reachable again"));
		}
	}

	@Test
	void refusedConnectionsKeepTheCacheAndTheWatchResumesWhenTheAgentIsBack() throws IOException {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);

			this.agent.stop();

			await().atMost(Duration.ofSeconds(5)).until(() -> !consul.status().reachable());
			assertThat(consul.getInstances("svc")).extracting(ServiceInstance::instanceId).containsExactly("i-1");

			this.agent.setHealth("svc", 9, health(entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));
			this.agent.restart();

			await().atMost(Duration.ofSeconds(5))
				.until(() -> consul.getInstances("svc").stream().map(ServiceInstance::instanceId).toList(),
						(ids) -> ids.equals(List.of("i-2")));
			assertThat(consul.status().reachable()).isTrue();
			assertThat(seen).hasSize(2);
		}
	}

	@Test
	void firstReadWhileTheAgentIsDownGivesAnEmptyListAndListenersGetTheInstancesLater() throws IOException {
		this.agent.stop();
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);
			assertThat(consul.getInstances("svc")).isEmpty();
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
			assertThat(seen.get(0)).isEmpty();
			assertThat(consul.status().reachable()).isFalse();

			this.agent.setHealth("svc", 2, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
			this.agent.restart();

			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
			assertThat(seen.get(1)).extracting(ServiceInstance::instanceId).containsExactly("i-1");
		}
	}

	// ---- parsing ----

	@Test
	void serviceAddressFallsBackToNodeAddressAndMetaBecomesMetadata() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "", 9090, "10.9.9.9", Map.of("zone", "a")),
				entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<ServiceInstance> instances = consul.getInstances("svc");

			assertThat(instances).extracting(ServiceInstance::instanceId, ServiceInstance::host, ServiceInstance::port)
				.containsExactly(org.assertj.core.groups.Tuple.tuple("i-1", "10.9.9.9", 9090),
						org.assertj.core.groups.Tuple.tuple("i-2", "10.0.0.6", 9091));
			assertThat(instances.get(0).metadata()).isEqualTo(Map.of("zone", "a"));
			assertThat(instances).allSatisfy((instance) -> {
				assertThat(instance.serviceName()).isEqualTo("svc");
				assertThat(instance.status()).isEqualTo(InstanceStatus.UP);
				assertThat(instance.registrationTime()).isEqualTo(NOW);
			});
			assertThat(consul.getAllInstances("svc")).isEqualTo(instances);
			assertThat(consul.getServiceNames()).containsExactly("svc");
		}
	}

	@Test
	void malformedEntriesAreSkippedWithOneWarningEachAndNeverBreakTheWatch() {
		ObjectNode badPort = entry("bad-port", "10.0.0.7", 0, "10.9.9.9", Map.of());
		ObjectNode textPort = entry("text-port", "10.0.0.8", 9090, "10.9.9.9", Map.of());
		((ObjectNode) textPort.path("Service")).put("Port", "9090");
		ObjectNode noId = entry("x", "10.0.0.9", 9090, "10.9.9.9", Map.of());
		((ObjectNode) noId.path("Service")).remove("ID");
		ObjectNode noAddress = entry("no-address", "", 9090, "", Map.of());
		ObjectNode good = entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of());
		this.agent.setHealth("svc", 3, health(badPort, textPort, noId, noAddress, good));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", seen::add);
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
			assertThat(seen.get(0)).extracting(ServiceInstance::instanceId).containsExactly("i-1");

			this.agent.setHealth("svc", 4, health(badPort, textPort, noId, noAddress, good,
					entry("i-2", "10.0.0.6", 9091, "10.9.9.9", Map.of())));
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);

			assertThat(seen.get(1)).extracting(ServiceInstance::instanceId).containsExactly("i-1", "i-2");
			List<String> warnings = messages(Level.WARN);
			assertThat(warnings).filteredOn((message) -> message.startsWith("Skipping an entry")).hasSize(4);
			assertThat(warnings).anyMatch((message) -> message.contains("'bad-port'") && message.contains("port: 0"))
				.anyMatch((message) -> message.contains("'text-port'") && message.contains("Service.Port: \"9090\""))
				.anyMatch((message) -> message.contains("no Service.ID"))
				.anyMatch((message) -> message.contains("'no-address'")
						&& message.contains("neither Service.Address nor Node.Address"));
		}
	}

	@Test
	void unreadableBodyKeepsTheCacheAndTheWatchGoesOn() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			assertThat(consul.getInstances("svc")).hasSize(1);

			this.agent.setHealth("svc", 4, "{\"not\": \"an array\"}");
			await().atMost(Duration.ofSeconds(5))
				.until(() -> messages(Level.WARN).stream().anyMatch((message) -> message.contains("unreadable body")));
			assertThat(consul.getInstances("svc")).hasSize(1);

			this.agent.setHealth("svc", 5, "<html>502 Bad Gateway</html>");
			// a second refusal in a row is logged at DEBUG (the first one was the warning)
			await().atMost(Duration.ofSeconds(5))
				.until(() -> messages(Level.DEBUG).stream().anyMatch((message) -> message.contains("not JSON")));
			assertThat(consul.getInstances("svc")).hasSize(1);

			this.agent.setHealth("svc", 6, "[]");
			await().atMost(Duration.ofSeconds(5)).until(() -> consul.getInstances("svc").isEmpty());
		}
	}

	// ---- listeners ----

	@Test
	void throwingListenerIsLoggedAndKeepsReceivingChanges() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			consul.watch("svc", (instances) -> {
				seen.add(instances);
				throw new IllegalStateException("listener bug");
			});
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);

			this.agent.setHealth("svc", 4, "[]");

			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
			assertThat(messages(Level.WARN)).filteredOn((message) -> message.contains("listener for 'svc' failed"))
				.hasSize(2);
		}
	}

	@Test
	void cancelledWatchGetsNoMoreLists() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			List<List<ServiceInstance>> cancelled = new CopyOnWriteArrayList<>();
			List<List<ServiceInstance>> kept = new CopyOnWriteArrayList<>();
			Subscription subscription = consul.watch("svc", cancelled::add);
			consul.watch("svc", kept::add);
			await().atMost(Duration.ofSeconds(5)).until(() -> cancelled.size() == 1 && kept.size() == 1);

			subscription.cancel();
			this.agent.setHealth("svc", 4, "[]");

			await().atMost(Duration.ofSeconds(5)).until(() -> kept.size() == 2);
			assertThat(cancelled).hasSize(1);
		}
	}

	@Test
	void lateWatcherGetsTheCachedListAtOnceOnTheCallingThread() {
		this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
		try (ConsulServiceRegistry consul = consul().build()) {
			assertThat(consul.getInstances("svc")).hasSize(1);
			List<String> threads = new ArrayList<>();

			consul.watch("svc", (instances) -> threads.add(Thread.currentThread().getName()));

			assertThat(threads).containsExactly(Thread.currentThread().getName());
		}
	}

	// ---- builder ----

	@Test
	void builderRejectsBadSettingsNamingTheSettingAndWhatIsExpected() {
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulServiceRegistry.builder().checkInterval(Duration.ZERO))
			.withMessage("checkInterval: PT0S (expected: > 0)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulServiceRegistry.builder().deregisterCriticalAfter(Duration.ofSeconds(-1)))
			.withMessage("deregisterCriticalAfter: PT-1S (expected: > 0)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulServiceRegistry.builder().blockingQueryWait(Duration.ofMinutes(11)))
			.withMessage("blockingQueryWait: PT11M (expected: > 0 and <= PT10M)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulServiceRegistry.builder().retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
			.withMessage("retryBackoff.max: PT1S (expected: >= retryBackoff.initial PT2S)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulServiceRegistry.builder().tags("grpc", " "))
			.withMessage("tags: [grpc,  ] (expected: non-blank tags)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulServiceRegistry.builder()
				.checkType(ConsulCheckType.TTL)
				.checkInterval(Duration.ofMillis(2))
				.build())
			.withMessage("checkInterval: PT0.002S (expected: >= PT0.003S with TTL checks, which are passed every third of it)");
	}

	@Test
	void statusNamesTheAgentAndWhatIsRegisteredAndWatched() {
		try (ConsulServiceRegistry consul = consul().datacenter("dc2").build()) {
			await().atMost(Duration.ofSeconds(5)).until(() -> consul.status().reachable());
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
			consul.getInstances("other");

			DiscoveryStatus status = consul.status();

			assertThat(status.provider()).isEqualTo("consul");
			assertThat(status.details()).containsEntry("agent", "http://127.0.0.1:" + this.agent.port() + "/")
				.containsEntry("datacenter", "dc2")
				.containsEntry("checkType", "GRPC")
				.containsEntry("registeredInstances", 1)
				.containsEntry("watchedServices", 1);
			assertThat(consul.toString()).isEqualTo("ConsulServiceRegistry[agent=http://127.0.0.1:" + this.agent.port()
					+ "/, datacenter=dc2, checkType=GRPC, aclToken=(none)]");
		}
	}

	// ---- helpers ----

	private ConsulServiceRegistry.Builder consul() {
		return consul(connection());
	}

	private ConsulConnection.Builder connection() {
		return ConsulConnection.builder().host("127.0.0.1").port(this.agent.port()).requestTimeout(Duration.ofSeconds(2));
	}

	private ConsulServiceRegistry.Builder consul(ConsulConnection.Builder connection) {
		return ConsulServiceRegistry.builder()
			.connection(connection.build())
			.blockingQueryWait(Duration.ofSeconds(1))
			.retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
			.queryRateLimit(Duration.ofMillis(10))
			.clock(java.time.Clock.fixed(NOW, java.time.ZoneOffset.UTC));
	}

	private static ServiceInstance instance(String service, String id, String host, int port,
			Map<String, String> metadata) {
		return new ServiceInstance(service, id, host, port, metadata, InstanceStatus.UP, NOW);
	}

	/** One entry of {@code /v1/health/service/<name>} as Consul documents it. */
	private ObjectNode entry(String id, String serviceAddress, int port, String nodeAddress, Map<String, String> meta) {
		ObjectNode entry = this.mapper.createObjectNode();
		ObjectNode node = entry.putObject("Node");
		node.put("ID", "40e4a748-2192-161a-0510-9bf59fe950b5");
		node.put("Node", "agent-one");
		node.put("Address", nodeAddress);
		node.put("Datacenter", "dc1");
		ObjectNode service = entry.putObject("Service");
		service.put("ID", id);
		service.put("Service", "svc");
		service.putArray("Tags").add("grpc");
		service.put("Address", serviceAddress);
		ObjectNode metaNode = service.putObject("Meta");
		meta.forEach(metaNode::put);
		service.put("Port", port);
		ArrayNode checks = entry.putArray("Checks");
		ObjectNode check = checks.addObject();
		check.put("CheckID", "service:" + id);
		check.put("Status", "passing");
		return entry;
	}

	private String health(ObjectNode... entries) {
		ArrayNode array = this.mapper.createArrayNode();
		for (ObjectNode entry : entries) {
			array.add(entry);
		}
		return array.toString();
	}

	private List<String> healthIndexes(String service) {
		return this.agent.requests("GET", "/v1/health/service/" + service)
			.stream()
			.map((request) -> request.query().get("index"))
			.toList();
	}

	private List<String> messages(Level level) {
		return this.events.stream()
			.filter((event) -> event.getLevel() == level)
			.map(ILoggingEvent::getFormattedMessage)
			.toList();
	}

	private static int indexOf(List<FakeConsulAgent.Request> requests, String method, String path) {
		for (int i = 0; i < requests.size(); i++) {
			if (requests.get(i).method().equals(method) && requests.get(i).path().equals(path)) {
				return i;
			}
		}
		throw new AssertionError(method + " " + path + " not sent");
	}

	private static List<String> consulThreads() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter(Thread::isAlive)
			.map(Thread::getName)
			.filter((name) -> name.startsWith("grpc-scale-consul-"))
			.toList();
	}

}
