package dev.grpcscale.cluster.raft;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.ClusterInfo;
import dev.grpcscale.cluster.ClusterMember;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeaderSample;
import dev.grpcscale.cluster.LeadershipEvent;
import dev.grpcscale.cluster.MemberStatus;

import dev.grpcscale.test.net.FreePorts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Three Raft servers on loopback in this JVM, free ports, temporary storage; heartbeat 100 ms, election
 * timeout 1 s.
 */
class RaftLeaderElectionTests {

	private static final Duration HEARTBEAT = Duration.ofMillis(100);

	private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(1);

	@TempDir
	Path storage;

	private final List<RaftNode> nodes = new ArrayList<>();

	private final Map<String, RaftLeaderElection> running = new LinkedHashMap<>();

	private final List<LeadershipEvent> events = new CopyOnWriteArrayList<>();

	@BeforeEach
	void nodes() throws IOException {
		for (String id : List.of("a", "b", "c")) {
			this.nodes.add(new RaftNode(id, "127.0.0.1", freePort()));
		}
	}

	@AfterEach
	void close() {
		this.running.values().forEach(RaftLeaderElection::close);
	}

	@Test
	void threeNodesElectOneLeaderWhoseFencingTokenIsItsRaftTerm() {
		startAll();
		RaftLeaderElection leader = awaitOneLeader();
		assertThat(leader.ownFencingToken()).isEqualTo(leader.currentTerm()).isPositive();
		assertThat(leader.raftRole()).isEqualTo("LEADER");
		for (RaftLeaderElection node : this.running.values()) {
			if (node != leader) {
				await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
					ClusterInfo info = node.clusterInfo();
					assertThat(info.isLeader()).isFalse();
					assertThat(info.ownFencingToken()).isZero();
					assertThat(info.leader()).isNotNull();
					assertThat(info.leader().nodeId()).isEqualTo(leader.settings().nodeId());
					assertThat(info.leader().address()).isEqualTo(leader.settings().address());
					assertThat(info.leader().fencingToken()).isEqualTo(leader.ownFencingToken());
					assertThat(info.nodes()).extracting(ClusterMember::nodeId).containsExactly("a", "b", "c");
					assertThat(info.nodes()).extracting(ClusterMember::status).containsOnly(MemberStatus.ALIVE);
					assertThat(info.nodes()).filteredOn((member) -> member.nodeId().equals(leader.settings().nodeId()))
						.extracting(ClusterMember::role)
						.containsExactly("LEADER");
					assertThat(info.nodes()).filteredOn((member) -> !member.nodeId().equals(leader.settings().nodeId()))
						.extracting(ClusterMember::role)
						.containsOnly("FOLLOWER");
				});
			}
		}
		assertThat(leader.clusterInfo().nodes()).extracting(ClusterMember::status).containsOnly(MemberStatus.ALIVE);
		assertThat(leader.clusterInfo().nodes()).extracting(ClusterMember::role)
			.containsExactlyInAnyOrder("LEADER", "FOLLOWER", "FOLLOWER");
	}

	@Test
	void gracefulLeaveHandsLeadershipOverToANodeWithAHigherToken() {
		startAll();
		RaftLeaderElection leader = awaitOneLeader();
		long token = leader.ownFencingToken();
		Logger logger = (Logger) LoggerFactory.getLogger(RaftLeaderElection.class);
		ListAppender<ILoggingEvent> log = new ListAppender<>();
		log.start();
		logger.addAppender(log);
		try {
			leader.leave();
			assertThat(leader.isLeader()).isFalse();
			// The node that left keeps its Raft server running and stays Ratis leader, heartbeating, until it
			// hands over: with pre-vote nobody is elected unless its heartbeats stop for an election timeout.
			// What shows the hand-over is that leave() transferred the term to the node that leads next, not
			// how soon (a wall-clock bound also measures the machine's load).
			RaftLeaderElection next = await().atMost(Duration.ofSeconds(15))
				.pollInterval(Duration.ofMillis(5))
				.until(() -> leaderAmong(this.running.values()), Optional::isPresent)
				.get();
			assertThat(next).isNotSameAs(leader);
			assertThat(next.ownFencingToken()).isGreaterThan(token);
			assertThat(log.list).extracting(ILoggingEvent::getFormattedMessage)
				.contains("Node " + leader.settings().nodeId() + " hands Raft leadership of term " + token
						+ " over to " + next.settings().nodeId() + ": it leaves");
		}
		finally {
			logger.detachAppender(log);
		}
	}

	@Test
	void closedLeaderIsReplacedByANodeWithAHigherToken() {
		startAll();
		RaftLeaderElection leader = awaitOneLeader();
		long token = leader.ownFencingToken();
		leader.close();
		this.running.values().remove(leader);
		RaftLeaderElection next = awaitOneLeader();
		assertThat(next.ownFencingToken()).isGreaterThan(token);
		assertThat(this.events).filteredOn((event) -> event.type() == LeadershipEvent.Type.GRANTED)
			.extracting(LeadershipEvent::fencingToken)
			.isSorted()
			.doesNotHaveDuplicates();
	}

	@Test
	void nodeRestartedOnItsStorageRejoinsWithItsIdentityAndTerm() {
		startAll();
		RaftLeaderElection leader = awaitOneLeader();
		RaftLeaderElection follower = this.running.values().stream().filter((node) -> node != leader).findFirst()
			.orElseThrow();
		String id = follower.settings().nodeId();
		long term = follower.currentTerm();
		follower.close();
		this.running.remove(id);
		// The other two keep a majority and their leader.
		RaftLeaderElection stillLeading = awaitOneLeader();
		RaftLeaderElection restarted = start(id);
		assertThat(restarted.currentTerm()).isGreaterThanOrEqualTo(term);
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			assertThat(restarted.raftRole()).isEqualTo("FOLLOWER");
			assertThat(restarted.clusterInfo().leader()).isNotNull();
			assertThat(restarted.clusterInfo().leader().nodeId()).isEqualTo(stillLeading.settings().nodeId());
		});
		// With the restarted node, the group survives the loss of another member.
		long token = stillLeading.ownFencingToken();
		stillLeading.close();
		this.running.values().remove(stillLeading);
		assertThat(awaitOneLeader().ownFencingToken()).isGreaterThan(token);
	}

	@Test
	void rejectsANodeIdMissingFromTheNodes() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> RaftLeaderElection.builder().settings(settings("x")).nodes(this.nodes).build())
			.withMessageContaining("nodes: ")
			.withMessageContaining("expected: an entry for this node's id 'x'");
	}

	@Test
	void rejectsDuplicateNodeIds() {
		List<RaftNode> duplicated = List.of(this.nodes.get(0), new RaftNode("a", "127.0.0.1", this.nodes.get(1).port()));
		assertThatIllegalArgumentException().isThrownBy(() -> RaftLeaderElection.builder().nodes(duplicated))
			.withMessageContaining("expected: unique node ids; 'a' appears twice");
	}

	@Test
	void portInUseIsAStartupErrorNamingTheBindAddress() throws IOException {
		RaftNode a = this.nodes.get(0);
		try (ServerSocket taken = new ServerSocket()) {
			taken.bind(new InetSocketAddress(InetAddress.getByName(a.host()), a.port()));
			assertThatExceptionOfType(RaftStartupException.class).isThrownBy(() -> start("a"))
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RaftStartupException.Reason.PORT_IN_USE))
				.withMessageStartingWith("bindAddress: 127.0.0.1:" + a.port());
		}
	}

	@Test
	void storageDirThatCannotBeCreatedIsAStartupErrorNamingIt() throws IOException {
		// A regular file where the directory's parent should be: no user, root included, can create it.
		Path file = Files.createFile(this.storage.resolve("a-file"));
		assertThatExceptionOfType(RaftStartupException.class)
			.isThrownBy(() -> RaftLeaderElection.builder()
				.settings(settings("a"))
				.nodes(this.nodes)
				.storageDir(file.resolve("a"))
				.build())
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RaftStartupException.Reason.STORAGE))
			.withMessageStartingWith("storageDir: " + file.resolve("a"));
	}

	private void startAll() {
		for (RaftNode node : this.nodes) {
			start(node.nodeId());
		}
	}

	private RaftLeaderElection start(String id) {
		RaftLeaderElection election = RaftLeaderElection.builder()
			.settings(settings(id))
			.nodes(this.nodes)
			.storageDir(this.storage.resolve(id))
			.build();
		election.addListener(this.events::add);
		this.running.put(id, election);
		election.join();
		return election;
	}

	private static LeaderElectionSettings settings(String id) {
		return LeaderElectionSettings.builder()
			.nodeId(id)
			.address("app-" + id + ":9090")
			.heartbeatInterval(HEARTBEAT)
			.electionTimeout(ELECTION_TIMEOUT)
			.build();
	}

	private RaftLeaderElection awaitOneLeader() {
		return await().atMost(Duration.ofSeconds(15))
			.until(() -> leaderAmong(this.running.values()), Optional::isPresent)
			.get();
	}

	/** The one leader among the nodes; fails on two leaderships that overlapped (see {@link LeaderSample}). */
	private static Optional<RaftLeaderElection> leaderAmong(Iterable<RaftLeaderElection> elections) {
		return LeaderSample.leaderAmong(elections).map(LeaderSample.Held::election);
	}

	private static int freePort() {
		return FreePorts.next();
	}

}
