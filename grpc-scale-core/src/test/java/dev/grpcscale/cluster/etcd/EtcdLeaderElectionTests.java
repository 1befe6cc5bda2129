package dev.grpcscale.cluster.etcd;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import tools.jackson.databind.json.JsonMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.grpcscale.cluster.ClusterMember;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeadershipEvent;
import dev.grpcscale.cluster.LeadershipEvent.Type;
import dev.grpcscale.cluster.MemberStatus;
import dev.grpcscale.test.etcd.EtcdCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three {@link EtcdLeaderElection} nodes in one JVM on a real single-node etcd; heartbeat 200 ms, election
 * timeout 1 s. Failover figures are printed to the test output.
 */
class EtcdLeaderElectionTests {

	private static final Duration HEARTBEAT = Duration.ofMillis(300);

	private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(2);

	private static EtcdCluster etcd;

	private final List<Node> nodes = new ArrayList<>();

	/** Every GRANTED event of every node, in arrival order. */
	private final List<LeadershipEvent> grants = new CopyOnWriteArrayList<>();

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

	@AfterEach
	void closeNodes() {
		this.nodes.forEach(Node::close);
	}

	@Test
	void oneOfThreeNodesLeadsAndAllSeeItAndEachOtherAlive() throws Exception {
		String namespace = "t1";
		for (int i = 0; i < 3; i++) {
			start(namespace, "n" + i);
		}
		Node leader = awaitSingleLeader();
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			for (Node node : this.nodes) {
				assertThat(node.election.currentLeader()).hasValueSatisfying(
						(info) -> assertThat(info.nodeId()).isEqualTo(leader.nodeId));
				assertThat(node.election.members()).extracting(ClusterMember::nodeId, ClusterMember::status)
					.containsExactly(org.assertj.core.groups.Tuple.tuple("n0", MemberStatus.ALIVE),
							org.assertj.core.groups.Tuple.tuple("n1", MemberStatus.ALIVE),
							org.assertj.core.groups.Tuple.tuple("n2", MemberStatus.ALIVE));
			}
		});
		assertThat(leader.election.clusterInfo().ownFencingToken())
			.isEqualTo(leader.election.leadership().orElseThrow().fencingToken());

		// The member key holds JSON, bound to a lease.
		try (Client reader = client()) {
			String key = "t1/cluster/default/members/" + leader.nodeId;
			KeyValue kv = reader.getKVClient().get(ByteSequence.from(key, StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS)
				.getKvs().get(0);
			Map<String, Object> value = JsonMapper.shared().readValue(kv.getValue().getBytes(),
					new tools.jackson.core.type.TypeReference<Map<String, Object>>() {
					});
			assertThat(value).containsEntry("nodeId", leader.nodeId).containsEntry("address", "127.0.0.1:" + leader.nodeId)
				.containsKey("lastHeartbeat");
			assertThat(kv.getLease()).isNotZero();
			List<KeyValue> candidates = reader.getKVClient()
				.get(ByteSequence.from("t1/cluster/default/election/", StandardCharsets.UTF_8),
						GetOption.builder().isPrefix(true).build())
				.get(5, TimeUnit.SECONDS)
				.getKvs();
			assertThat(candidates).hasSize(3);
			long oldest = candidates.stream().mapToLong(KeyValue::getCreateRevision).min().orElseThrow();
			assertThat(leader.election.leadership().orElseThrow().fencingToken()).isEqualTo(oldest);
		}
	}

	@Test
	void gracefulLeaveHandsLeadershipToAnotherNodeWithAHigherToken() {
		String namespace = "t2";
		for (int i = 0; i < 3; i++) {
			start(namespace, "n" + i);
		}
		List<Long> handoversMillis = new ArrayList<>();
		for (int round = 0; round < 5; round++) {
			Node leader = awaitSingleLeader();
			long token = leader.election.leadership().orElseThrow().fencingToken();
			long left = System.nanoTime();
			leader.election.leave();
			assertThat(leader.election.isLeader()).isFalse();
			LeadershipEvent next = awaitGrantAfter(token, Duration.ofSeconds(5));
			assertThat(next.nodeId()).isNotEqualTo(leader.nodeId);
			handoversMillis.add(TimeUnit.NANOSECONDS.toMillis(next.atNanos() - left));
			leader.election.join();
		}
		assertTokensStrictlyGrow();
		System.out.println("FAILOVER etcd graceful leave -> new leader (ms, 5 rounds): " + handoversMillis + " "
				+ summary(handoversMillis));
	}

	@Test
	void crashedLeaderIsReplacedWithinElectionTimeoutPlusHeartbeatAndStopsClaimingFirst() {
		String namespace = "t3";
		for (int i = 0; i < 3; i++) {
			start(namespace, "n" + i);
		}
		Duration bound = ELECTION_TIMEOUT.plus(HEARTBEAT).plusSeconds(1);
		List<Long> failoversMillis = new ArrayList<>();
		for (int round = 0; round < 3; round++) {
			Node leader = awaitSingleLeader();
			long token = leader.election.leadership().orElseThrow().fencingToken();
			long crashed = System.nanoTime();
			leader.client.close();
			LeadershipEvent next = awaitGrantAfter(token, bound.plusSeconds(2));
			long failover = next.atNanos() - crashed;
			failoversMillis.add(TimeUnit.NANOSECONDS.toMillis(failover));
			assertThat(Duration.ofNanos(failover)).isLessThanOrEqualTo(bound);
			// The crashed node (still running, cut off from etcd) stopped claiming before the new grant.
			LeadershipEvent revoked = await().atMost(Duration.ofSeconds(5))
				.until(() -> leader.lastOf(Type.REVOKED), (event) -> event != null && event.fencingToken() == token);
			assertThat(revoked.validUntilNanos()).isLessThanOrEqualTo(next.atNanos());
			// Replace the crashed node by a fresh one with the same id.
			leader.close();
			this.nodes.remove(leader);
			start(namespace, leader.nodeId);
		}
		assertTokensStrictlyGrow();
		System.out.println("FAILOVER etcd crash (client closed, no resign) -> new leader (ms, 3 rounds): "
				+ failoversMillis + " " + summary(failoversMillis));
	}

	private Node start(String namespace, String nodeId) {
		Node node = new Node(nodeId, client(), namespace);
		node.election.addListener((event) -> {
			node.events.add(event);
			if (event.type() == Type.GRANTED) {
				this.grants.add(event);
			}
		});
		node.election.join();
		this.nodes.add(node);
		return node;
	}

	private Node awaitSingleLeader() {
		await().atMost(Duration.ofSeconds(10)).until(() -> leaders().size() == 1);
		return leaders().get(0);
	}

	private List<Node> leaders() {
		return this.nodes.stream().filter((node) -> node.election.isLeader()).toList();
	}

	private LeadershipEvent awaitGrantAfter(long token, Duration atMost) {
		return await().atMost(atMost).pollInterval(Duration.ofMillis(10)).until(
				() -> this.grants.stream().filter((event) -> event.fencingToken() > token).findFirst().orElse(null),
				(event) -> event != null);
	}

	private void assertTokensStrictlyGrow() {
		List<LeadershipEvent> byTime = new ArrayList<>(this.grants);
		byTime.sort((a, b) -> Long.compare(a.atNanos() - b.atNanos(), 0));
		assertThat(byTime).extracting(LeadershipEvent::fencingToken).isSorted().doesNotHaveDuplicates();
	}

	static String summary(List<Long> millis) {
		List<Long> sorted = millis.stream().sorted().toList();
		return "p50=" + sorted.get((sorted.size() - 1) / 2) + "ms max=" + sorted.get(sorted.size() - 1) + "ms";
	}

	private static Client client() {
		return Client.builder().endpoints(etcd.clientEndpoints().toArray(String[]::new)).build();
	}

	private static final class Node {

		final String nodeId;

		final Client client;

		final EtcdLeaderElection election;

		final List<LeadershipEvent> events = new CopyOnWriteArrayList<>();

		Node(String nodeId, Client client, String namespace) {
			this.nodeId = nodeId;
			this.client = client;
			this.election = EtcdLeaderElection.create(client, LeaderElectionSettings.builder()
				.nodeId(nodeId)
				.address("127.0.0.1:" + nodeId)
				.namespace(namespace)
				.heartbeatInterval(HEARTBEAT)
				.electionTimeout(ELECTION_TIMEOUT)
				.build());
		}

		LeadershipEvent lastOf(Type type) {
			LeadershipEvent last = null;
			for (LeadershipEvent event : this.events) {
				if (event.type() == type) {
					last = event;
				}
			}
			return last;
		}

		void close() {
			this.election.close();
			this.client.close();
		}

	}

}
