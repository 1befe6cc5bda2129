package dev.grpcscale.cluster.consul;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import dev.grpcscale.cluster.ClusterMember;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bad and foreign records under a Consul election's keys, held by a session of another writer, against
 * {@link FakeConsulAgent}: each is skipped with one warning per node, and reading the cluster (members,
 * leader) and failover go on. Heartbeat 200 ms, election timeout 2 s.
 */
class ConsulLeaderElectionRecordsTests {

	private static final String PREFIX = "grpc-scale/cluster/default/";

	private FakeConsulAgent agent;

	private final ExecutorService httpExecutor = Executors.newCachedThreadPool();

	private final HttpClient http = HttpClient.newBuilder().executor(this.httpExecutor).build();

	private final List<ConsulLeaderElection> nodes = new ArrayList<>();

	private final ListAppender<ILoggingEvent> log = new ListAppender<>();

	private final Logger logger = (Logger) LoggerFactory.getLogger(ConsulLeaderElection.class);

	@BeforeEach
	void setUp() throws Exception {
		this.agent = new FakeConsulAgent();
		this.log.start();
		this.logger.addAppender(this.log);
	}

	@AfterEach
	void tearDown() {
		this.nodes.forEach(ConsulLeaderElection::close);
		this.agent.close();
		this.httpExecutor.shutdownNow();
		this.logger.detachAppender(this.log);
	}

	static Stream<Arguments> badMemberRecords() {
		return Stream.of(Arguments.of("missing timestamp", "{\"nodeId\":\"x\"}"),
				Arguments.of("missing node id", "{\"address\":\"a\",\"lastHeartbeat\":\"2026-01-01T00:00:00Z\"}"),
				Arguments.of("wrong types", "{\"nodeId\":1,\"address\":2,\"lastHeartbeat\":3}"),
				Arguments.of("timestamp not an instant", "{\"nodeId\":\"x\",\"address\":\"\",\"lastHeartbeat\":\"soon\"}"),
				Arguments.of("another node's id",
						"{\"nodeId\":\"n0\",\"address\":\"\",\"lastHeartbeat\":\"2026-01-01T00:00:00Z\"}"),
				Arguments.of("not JSON", "not json at all"), Arguments.of("empty value", ""),
				Arguments.of("huge value", "{\"nodeId\":\"x\",\"address\":\"" + "a".repeat(100_000)
						+ "\",\"lastHeartbeat\":\"2026-01-01T00:00:00Z\"}"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("badMemberRecords")
	void badMemberRecordIsSkippedOnceWithAWarningAndTheClusterIsStillReadAndFailsOver(String shape, String value)
			throws Exception {
		String key = PREFIX + "members/x";
		acquire(key, value);
		ConsulLeaderElection n0 = start("n0");
		ConsulLeaderElection n1 = start("n1");
		await().atMost(Duration.ofSeconds(30)).until(() -> n0.isLeader() ^ n1.isLeader());
		ConsulLeaderElection leader = n0.isLeader() ? n0 : n1;
		ConsulLeaderElection follower = (leader == n0) ? n1 : n0;
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			for (ConsulLeaderElection node : this.nodes) {
				assertThat(node.members()).extracting(ClusterMember::nodeId).containsExactly("n0", "n1");
			}
		});
		long token = leader.leadership().orElseThrow().fencingToken();
		this.agent.expireSession(this.agent.kvEntry(PREFIX + "leader").session());
		await().atMost(Duration.ofSeconds(30))
			.until(() -> follower.isLeader() || leader.leadership().map((held) -> held.fencingToken() > token).orElse(false));
		assertWarnedOncePerNode(key);
	}

	@Test
	void leaderKeyHeldByAForeignSessionWithAForeignValueIsReported() throws Exception {
		String foreignSession = acquire(PREFIX + "leader", "some-other-app");
		ConsulLeaderElection n0 = start("n0");
		ConsulLeaderElection n1 = start("n1");
		assertWarnedOncePerNode(PREFIX + "leader");
		assertThat(n0.isLeader() || n1.isLeader()).isFalse();
		// Once the foreign session lets the key go, the election goes on.
		this.agent.expireSession(foreignSession);
		await().atMost(Duration.ofSeconds(30)).until(() -> n0.isLeader() ^ n1.isLeader());
	}

	/** Each node warned about the key exactly once, although it read it at every refresh. */
	private void assertWarnedOncePerNode(String key) {
		for (ConsulLeaderElection node : this.nodes) {
			String who = "Node " + node.settings().nodeId() + " ";
			await().atMost(Duration.ofSeconds(10))
				.until(() -> warningsAbout(key).stream().anyMatch((event) -> event.getFormattedMessage().startsWith(who)));
			assertThat(warningsAbout(key)).filteredOn((event) -> event.getFormattedMessage().startsWith(who)).hasSize(1);
		}
	}

	private List<ILoggingEvent> warningsAbout(String key) {
		return this.log.list.stream()
			.filter((event) -> event.getLevel() == Level.WARN)
			.filter((event) -> event.getFormattedMessage().contains(" " + key + ":"))
			.toList();
	}

	/** Creates a session of another writer (no lock delay) and acquires {@code key} with {@code value}. */
	private String acquire(String key, String value) throws Exception {
		String created = put("/v1/session/create", "{\"TTL\":\"10s\",\"Behavior\":\"delete\",\"LockDelay\":\"0s\"}");
		String session = JsonMapper.shared().readTree(created).path("ID").asString();
		assertThat(put("/v1/kv/" + key + "?acquire=" + session, value)).isEqualTo("true");
		return session;
	}

	private String put(String path, String body) throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.agent.port() + path))
			.PUT(HttpRequest.BodyPublishers.ofString(body))
			.build();
		HttpResponse<String> response = this.http.send(request, HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		return response.body();
	}

	private ConsulLeaderElection start(String nodeId) {
		ConsulLeaderElection election = ConsulLeaderElection.builder()
			.connection(ConsulConnection.builder()
				.host("127.0.0.1")
				.port(this.agent.port())
				.requestTimeout(Duration.ofSeconds(2))
				.build())
			.settings(LeaderElectionSettings.builder()
				.nodeId(nodeId)
				.address("127.0.0.1:" + nodeId)
				.heartbeatInterval(Duration.ofMillis(200))
				.electionTimeout(Duration.ofSeconds(2))
				.build())
			.build();
		this.nodes.add(election);
		election.join();
		return election;
	}

}
