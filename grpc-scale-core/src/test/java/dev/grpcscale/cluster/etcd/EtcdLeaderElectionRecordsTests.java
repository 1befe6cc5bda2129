package dev.grpcscale.cluster.etcd;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.ClusterMember;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeadershipEvent;
import dev.grpcscale.test.etcd.EtcdCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bad and foreign records under an etcd election's keys, on a real single-node etcd: each is skipped with one
 * warning, and neither blocks the election nor stops leader-loss detection. Heartbeat 200 ms, election timeout
 * 2 s.
 */
class EtcdLeaderElectionRecordsTests {

	private static final Duration HEARTBEAT = Duration.ofMillis(200);

	private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(2);

	private static EtcdCluster etcd;

	private static int namespaces;

	private final List<EtcdLeaderElection> nodes = new ArrayList<>();

	private final List<Client> clients = new ArrayList<>();

	private final ListAppender<ILoggingEvent> log = new ListAppender<>();

	private final Logger logger = (Logger) LoggerFactory.getLogger(EtcdLeaderElection.class);

	private Client admin;

	private String namespace;

	@BeforeAll
	static void startEtcd() {
		etcd = EtcdCluster.startSingle();
	}

	@AfterAll
	static void stopEtcd() {
		if (etcd != null) {
			etcd.close();
		}
	}

	@BeforeEach
	void setUp() {
		this.namespace = "records" + (++namespaces);
		this.admin = client();
		this.log.start();
		this.logger.addAppender(this.log);
	}

	@AfterEach
	void tearDown() {
		this.nodes.forEach(EtcdLeaderElection::close);
		this.clients.forEach(Client::close);
		this.admin.close();
		this.logger.detachAppender(this.log);
	}

	static Stream<Arguments> badMemberRecords() {
		return Stream.of(Arguments.of("missing timestamp", "x", "{\"nodeId\":\"x\"}"),
				Arguments.of("missing node id", "x", "{\"address\":\"a\",\"lastHeartbeat\":\"2026-01-01T00:00:00Z\"}"),
				Arguments.of("wrong types", "x", "{\"nodeId\":1,\"address\":2,\"lastHeartbeat\":3}"),
				Arguments.of("timestamp not an instant", "x",
						"{\"nodeId\":\"x\",\"address\":\"\",\"lastHeartbeat\":\"yesterday\"}"),
				Arguments.of("another node's id", "x",
						"{\"nodeId\":\"n0\",\"address\":\"\",\"lastHeartbeat\":\"2026-01-01T00:00:00Z\"}"),
				Arguments.of("not JSON", "x", "not json at all"), Arguments.of("a JSON array", "x", "[1,2]"),
				Arguments.of("empty value", "x", ""),
				Arguments.of("huge value", "x", "{\"nodeId\":\"x\",\"address\":\"" + "a".repeat(200_000)
						+ "\",\"lastHeartbeat\":\"2026-01-01T00:00:00Z\"}"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("badMemberRecords")
	void badMemberRecordIsSkippedOnceWithAWarningAndALeaderWhoseCandidacyVanishesStillStepsDown(String shape,
			String key, String value) throws Exception {
		String memberKey = prefix() + "members/" + key;
		put(memberKey, value, 0);
		EtcdLeaderElection n0 = start("n0");
		EtcdLeaderElection n1 = start("n1");
		await().atMost(Duration.ofSeconds(10)).until(() -> n0.isLeader() || n1.isLeader());
		EtcdLeaderElection leader = n0.isLeader() ? n0 : n1;
		EtcdLeaderElection follower = (leader == n0) ? n1 : n0;
		// The view keeps refreshing: both nodes see exactly the two real members and the leader.
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			for (EtcdLeaderElection node : this.nodes) {
				assertThat(node.members()).extracting(ClusterMember::nodeId).containsExactly("n0", "n1");
				assertThat(node.currentLeader()).hasValueSatisfying(
						(info) -> assertThat(info.nodeId()).isEqualTo(leader.settings().nodeId()));
			}
		});
		// Leader-loss detection still works: delete the leader's candidacy behind its back; the leader sees
		// another leader (or none) at its next read and steps down.
		long token = leader.leadership().orElseThrow().fencingToken();
		KeyValue candidacy = candidacies().stream()
			.filter((kv) -> kv.getCreateRevision() == token)
			.findFirst()
			.orElseThrow();
		this.admin.getKVClient().delete(candidacy.getKey()).get(5, TimeUnit.SECONDS);
		await().atMost(ELECTION_TIMEOUT).until(() -> !leader.isLeader() || leader.leadership()
			.map((held) -> held.fencingToken() != token)
			.orElse(false));
		await().atMost(Duration.ofSeconds(10))
			.until(() -> follower.isLeader() || leader.leadership().map((held) -> held.fencingToken() > token).orElse(false));
		assertWarnedOncePerNode(memberKey);
	}

	@Test
	void keyWithoutLeaseUnderTheElectionPrefixOlderThanEveryCandidateBlocksNothing() throws Exception {
		String foreign = prefix() + "election/foreign";
		put(foreign, "{\"nodeId\":\"ghost\",\"address\":\"\"}", 0);
		assertElectionWorksDespite(foreign);
	}

	@Test
	void candidacyOfAnotherElectionRecipeUserWithItsOwnLeaseBlocksNothing() throws Exception {
		// What etcdctl elect or any other user of etcd's Election API leaves: <prefix>/<lease in hex> on a lease
		// that is kept alive, with a value that is not grpc-scale's.
		long lease = this.admin.getLeaseClient().grant(60).get(5, TimeUnit.SECONDS).getID();
		this.admin.getLeaseClient().keepAlive(lease, io.etcd.jetcd.support.Observers.observer((response) -> {
		}));
		String foreign = prefix() + "election/" + Long.toHexString(lease);
		put(foreign, "some-other-app", lease);
		assertElectionWorksDespite(foreign);
		this.admin.getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
	}

	@Test
	void leasedKeyNotNamedAfterItsLeaseUnderTheElectionPrefixBlocksNothing() throws Exception {
		long lease = this.admin.getLeaseClient().grant(60).get(5, TimeUnit.SECONDS).getID();
		this.admin.getLeaseClient().keepAlive(lease, io.etcd.jetcd.support.Observers.observer((response) -> {
		}));
		String foreign = prefix() + "election/not-a-lease";
		put(foreign, "{\"nodeId\":\"ghost\",\"address\":\"\"}", lease);
		assertElectionWorksDespite(foreign);
		this.admin.getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
	}

	private void assertElectionWorksDespite(String foreignKey) throws Exception {
		EtcdLeaderElection n0 = start("n0");
		EtcdLeaderElection n1 = start("n1");
		await().atMost(Duration.ofSeconds(10)).until(() -> n0.isLeader() ^ n1.isLeader());
		EtcdLeaderElection leader = n0.isLeader() ? n0 : n1;
		EtcdLeaderElection follower = (leader == n0) ? n1 : n0;
		long token = leader.leadership().orElseThrow().fencingToken();
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(follower.currentLeader())
			.hasValueSatisfying((info) -> assertThat(info.nodeId()).isEqualTo(leader.settings().nodeId())));
		// A handover skips the foreign key too.
		leader.leave();
		await().atMost(Duration.ofSeconds(5))
			.until(() -> follower.leadership().map((held) -> held.fencingToken() > token).orElse(false));
		assertThat(candidacies()).extracting((kv) -> kv.getKey().toString(StandardCharsets.UTF_8)).contains(foreignKey);
		assertWarnedOncePerNode(foreignKey);
	}

	/** Each node warned about the key exactly once, although it read it at every refresh. */
	private void assertWarnedOncePerNode(String key) {
		for (EtcdLeaderElection node : this.nodes) {
			String who = "Node " + node.settings().nodeId() + " ";
			await().atMost(Duration.ofSeconds(5))
				.until(() -> warningsAbout(key).stream().anyMatch((event) -> event.getFormattedMessage().startsWith(who)));
			assertThat(warningsAbout(key)).filteredOn((event) -> event.getFormattedMessage().startsWith(who)).hasSize(1);
		}
	}

	private List<ILoggingEvent> warningsAbout(String key) {
		return this.log.list.stream()
			.filter((event) -> event.getLevel() == ch.qos.logback.classic.Level.WARN)
			.filter((event) -> event.getFormattedMessage().contains(key))
			.toList();
	}

	private List<KeyValue> candidacies() throws Exception {
		return this.admin.getKVClient()
			.get(bytes(prefix() + "election/"), GetOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS)
			.getKvs();
	}

	private void put(String key, String value, long lease) throws Exception {
		PutOption option = (lease != 0) ? PutOption.builder().withLeaseId(lease).build() : PutOption.DEFAULT;
		this.admin.getKVClient().put(bytes(key), bytes(value), option).get(5, TimeUnit.SECONDS);
	}

	private EtcdLeaderElection start(String nodeId) {
		Client client = client();
		this.clients.add(client);
		EtcdLeaderElection election = EtcdLeaderElection.create(client, LeaderElectionSettings.builder()
			.nodeId(nodeId)
			.address("127.0.0.1:" + nodeId)
			.namespace(this.namespace)
			.heartbeatInterval(HEARTBEAT)
			.electionTimeout(ELECTION_TIMEOUT)
			.build());
		this.nodes.add(election);
		election.join();
		return election;
	}

	private String prefix() {
		return this.namespace + "/cluster/default/";
	}

	private static ByteSequence bytes(String value) {
		return ByteSequence.from(value, StandardCharsets.UTF_8);
	}

	private static Client client() {
		return Client.builder().endpoints(etcd.clientEndpoints().toArray(String[]::new)).build();
	}

}
