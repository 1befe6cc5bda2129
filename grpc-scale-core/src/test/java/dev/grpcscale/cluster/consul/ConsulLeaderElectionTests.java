package dev.grpcscale.cluster.consul;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.ClusterMember;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeaderSample;
import dev.grpcscale.cluster.LeadershipEvent;
import dev.grpcscale.cluster.LeadershipEvent.Type;
import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * The Consul protocol of {@link ConsulLeaderElection} against {@link FakeConsulAgent} (sessions, KV locks,
 * lock delay and blocking reads as Consul documents them; no real Consul runs here). Heartbeat 200 ms,
 * election timeout 2 s (the session TTL sent is Consul's minimum, 10s; the fake expires sessions only when told).
 */
class ConsulLeaderElectionTests {

	private static final String TOKEN = "c0nsul-s3cret-acl-token-77";

	private static final Duration HEARTBEAT = Duration.ofMillis(200);

	private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(2);

	private FakeConsulAgent agent;

	private final List<ConsulLeaderElection> nodes = new ArrayList<>();

	private final List<LeadershipEvent> events = new CopyOnWriteArrayList<>();

	@BeforeEach
	void startAgent() throws Exception {
		this.agent = new FakeConsulAgent();
	}

	@AfterEach
	void stop() {
		this.nodes.forEach(ConsulLeaderElection::close);
		this.agent.close();
	}

	@Test
	void oneOfThreeNodesLeadsAndAllSeeItAndEachOther() {
		for (int i = 0; i < 3; i++) {
			start("n" + i, null);
		}
		LeaderSample.Held<ConsulLeaderElection> held = awaitSingleLeader();
		ConsulLeaderElection leader = held.election();
		FakeConsulAgent.KvEntry key = this.agent.kvEntry("grpc-scale/cluster/default/leader");
		assertThat(held.fencingToken()).isEqualTo(key.modifyIndex());
		assertThat(key.value()).contains("\"nodeId\":\"" + leader.settings().nodeId() + "\"");
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
			for (ConsulLeaderElection node : this.nodes) {
				assertThat(node.currentLeader()).hasValueSatisfying(
						(info) -> assertThat(info.nodeId()).isEqualTo(leader.settings().nodeId()));
				assertThat(node.members()).extracting(ClusterMember::nodeId).containsExactly("n0", "n1", "n2");
				assertThat(node.clusterInfo().provider()).isEqualTo("consul");
			}
		});
		// at most one leads at any moment (a lease that lapsed in a stall of this busy machine may leave none)
		LeaderSample.leaderAmong(this.nodes);
		// Sessions: TTL raised to Consul's minimum, delete behavior, the lock delay, no health checks.
		String session = this.agent.sessionIds().get(0);
		var request = this.agent.sessionRequest(session);
		assertThat(request.path("TTL").asString()).isEqualTo("10s");
		assertThat(request.path("Behavior").asString()).isEqualTo("delete");
		// The default lock delay: min(heartbeat 200ms + request timeout 2s, lease validity 1.8s), in whole seconds.
		assertThat(request.path("LockDelay").asString()).isEqualTo("2s");
		assertThat(request.path("Checks").isArray() && request.path("Checks").isEmpty()).isTrue();
		assertThat(this.agent.kvEntry("grpc-scale/cluster/default/members/n1").session()).isNotEmpty();
	}

	@Test
	void fencingTokenGrowsAcrossLeadersAlthoughLockIndexRestartsWhenTheKeyIsDeleted() {
		for (int i = 0; i < 3; i++) {
			start("n" + i, null);
		}
		long previous = 0;
		for (int round = 0; round < 3; round++) {
			long token = awaitSingleLeader().fencingToken();
			assertThat(token).isGreaterThan(previous);
			FakeConsulAgent.KvEntry key = this.agent.kvEntry("grpc-scale/cluster/default/leader");
			// Behavior=delete removed the key with the previous leader's session: LockIndex starts again at 1.
			assertThat(key.lockIndex()).isEqualTo(1);
			previous = token;
			this.agent.expireSession(key.session());
			awaitGrantAfter(token);
		}
	}

	@Test
	void gracefulLeaveReleasesSoAnotherNodeLeadsBeforeTheLockDelay() {
		Duration lockDelay = Duration.ofSeconds(30);
		for (int i = 0; i < 3; i++) {
			start("n" + i, lockDelay);
		}
		LeaderSample.Held<ConsulLeaderElection> held = awaitSingleLeader();
		ConsulLeaderElection leader = held.election();
		long token = held.fencingToken();
		long left = System.nanoTime();
		leader.leave();
		assertThat(leader.isLeader()).isFalse();
		LeadershipEvent next = awaitGrantAfter(token);
		assertThat(Duration.ofNanos(System.nanoTime() - left)).isLessThan(lockDelay);
		assertThat(next.fencingToken()).isGreaterThan(token);
		assertThat(next.nodeId()).isNotEqualTo(leader.settings().nodeId());
		List<FakeConsulAgent.Request> puts = this.agent.requests("PUT", "/v1/");
		int release = indexOf(puts, "/v1/kv/grpc-scale/cluster/default/leader", "release");
		int destroy = indexOf(puts, "/v1/session/destroy/", null);
		assertThat(release).isNotNegative().isLessThan(destroy);
	}

	@Test
	void sessionInvalidatedByConsulRevokesLeadershipAndAnotherNodeLeadsWithAHigherToken() {
		for (int i = 0; i < 3; i++) {
			start("n" + i, null);
		}
		LeaderSample.Held<ConsulLeaderElection> held = awaitSingleLeader();
		long token = held.fencingToken();
		this.agent.expireSession(this.agent.kvEntry("grpc-scale/cluster/default/leader").session());
		LeadershipEvent next = awaitGrantAfter(token);
		assertThat(next.fencingToken()).isGreaterThan(token);
		LeadershipEvent revoked = awaitRevoked(token);
		// the revoked leadership ended (revocation, or its lease lapsing first on a stalled node) before the
		// next began, on the one clock of this JVM
		assertThat(Math.min(revoked.atNanos(), revoked.validUntilNanos()) - next.atNanos()).isNotPositive();
		LeaderSample.leaderAmong(this.nodes);
	}

	@Test
	void leaderWhoseRenewalsFailStopsClaimingLeadershipWhenItsLeaseLapses() {
		for (int i = 0; i < 3; i++) {
			start("n" + i, null);
		}
		LeaderSample.Held<ConsulLeaderElection> held = awaitSingleLeader();
		ConsulLeaderElection leader = held.election();
		long token = held.fencingToken();
		String session = this.agent.kvEntry("grpc-scale/cluster/default/leader").session();
		this.agent.failRenewals(session, true);
		long failingSince = System.nanoTime();
		// Not "until !leader.isLeader()": the node released the lock when its lease lapsed, so it may lead again at
		// once under a new session that renews, and a poll can miss the few milliseconds without leadership
		// (seen on a busy machine: revoked, then granted again 6 ms later). Its REVOKED event is the record.
		LeadershipEvent revoked = awaitRevoked(token);
		LeaderElectionSettings settings = leader.settings();
		// The lease ran out on the ticker: electionTimeout - margin after the last confirmed renewal was sent,
		// which was before renewals started failing.
		assertThat(revoked.atNanos()).isGreaterThanOrEqualTo(revoked.validUntilNanos());
		assertThat(revoked.validUntilNanos() - failingSince).isLessThanOrEqualTo(settings.leaseValidity().toNanos());
		// Consul never invalidated the session: the node stepped down on its own, and nobody else led meanwhile.
		assertThat(this.events.stream()
			.filter((event) -> event.type() == Type.GRANTED && event.fencingToken() > token)
			.allMatch((event) -> event.atNanos() - revoked.validUntilNanos() >= 0)).isTrue();
		LeadershipEvent next = awaitGrantAfter(token);
		assertThat(next.fencingToken()).isGreaterThan(token);
	}

	@Test
	void tokenIsSentAsHeaderAndNeverShownInLogsStatusOrToString() {
		Logger logger = (Logger) LoggerFactory.getLogger("dev.grpcscale");
		ListAppender<ILoggingEvent> appender = new ListAppender<>();
		appender.start();
		logger.addAppender(appender);
		ch.qos.logback.classic.Level level = logger.getLevel();
		logger.setLevel(ch.qos.logback.classic.Level.DEBUG);
		try {
			ConsulLeaderElection node = start("n0", null);
			await().atMost(Duration.ofSeconds(30)).until(node::isLeader);
			this.agent.failWith(500);
			await().atMost(Duration.ofSeconds(30)).until(() -> !node.isLeader());
			this.agent.failWith(0);
			node.close();
			assertThat(this.agent.requests()).isNotEmpty()
				.allSatisfy((request) -> assertThat(request.header("X-Consul-Token")).containsExactly(TOKEN))
				.noneSatisfy((request) -> assertThat(request.path() + request.query() + request.body()).contains(TOKEN));
			assertThat(node.toString()).contains("aclToken=(set)").doesNotContain(TOKEN);
			assertThat(node.clusterInfo().toString()).doesNotContain(TOKEN);
			assertThat(appender.list).isNotEmpty().allSatisfy((event) -> {
				assertThat(event.getFormattedMessage()).doesNotContain(TOKEN);
				if (event.getThrowableProxy() != null) {
					assertThat(event.getThrowableProxy().getMessage()).doesNotContain(TOKEN);
				}
			});
		}
		finally {
			logger.detachAppender(appender);
			logger.setLevel(level);
		}
	}

	@Test
	void defaultLockDelayCoversAHeartbeatAndARoundTripOrTheWholeLease() {
		// Defaults: heartbeat 5s + request timeout 10s > lease validity 13.5s, so 13.5s, rounded up to 14s.
		LeaderElectionSettings defaults = LeaderElectionSettings.builder().nodeId("n0").build();
		ConsulLeaderElection byDefault = ConsulLeaderElection.builder().settings(defaults).build();
		assertThat(byDefault.lockDelay()).isEqualTo(Duration.ofSeconds(14));
		byDefault.close();
		// A short request timeout: heartbeat 200ms + request timeout 500ms = 700ms, rounded up to 1s.
		ConsulLeaderElection quick = ConsulLeaderElection.builder()
			.connection(connection(Duration.ofMillis(500)))
			.settings(settings("n0"))
			.build();
		assertThat(ConsulLeaderElection.minimumLockDelay(quick.settings(), connection(Duration.ofMillis(500))))
			.isEqualTo(Duration.ofMillis(700));
		assertThat(quick.lockDelay()).isEqualTo(Duration.ofSeconds(1));
		quick.close();
	}

	@Test
	void lockDelayBelowAHeartbeatPlusARoundTripIsRejectedWithTheReason() {
		LeaderElectionSettings defaults = LeaderElectionSettings.builder().nodeId("n0").build();
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulLeaderElection.builder().settings(defaults).lockDelay(Duration.ofSeconds(1)).build())
			.withMessage("lockDelay: PT1S (expected: >= PT13.5S = min(heartbeatInterval PT5S + requestTimeout PT10S, "
					+ "leaseValidity PT13.5S) because a leader whose session is destroyed behind its back notices only "
					+ "at its next renewal, a heartbeat plus a round trip later, and stops claiming leadership after "
					+ "leaseValidity at the latest; a shorter delay lets another node lead meanwhile)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulLeaderElection.builder().settings(defaults).lockDelay(Duration.ZERO).build())
			.withMessageStartingWith("lockDelay: PT0S (expected: >= PT13.5S");
		ConsulLeaderElection enough = ConsulLeaderElection.builder()
			.settings(defaults)
			.lockDelay(Duration.ofMillis(13_500))
			.build();
		assertThat(enough.lockDelay()).isEqualTo(Duration.ofMillis(13_500));
		enough.close();
	}

	@Test
	void builderRejectsBadValuesNamingTheSetting() {
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulLeaderElection.builder().lockDelay(Duration.ofSeconds(61)))
			.withMessage("lockDelay: PT1M1S (expected: >= 0 and <= PT1M, Consul's maximum)");
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulLeaderElection.builder().build())
			.withMessage("settings: null (expected: LeaderElectionSettings)");
		assertThat(ConsulLeaderElection.ttl(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(10));
		assertThat(ConsulLeaderElection.ttl(Duration.ofMillis(15_001))).isEqualTo(Duration.ofSeconds(16));
	}

	private ConsulLeaderElection start(String nodeId, @Nullable Duration lockDelay) {
		ConsulLeaderElection.Builder builder = ConsulLeaderElection.builder()
			.connection(connection(Duration.ofSeconds(2)))
			.settings(settings(nodeId));
		if (lockDelay != null) {
			builder.lockDelay(lockDelay);
		}
		ConsulLeaderElection election = builder.build();
		election.addListener(this.events::add);
		this.nodes.add(election);
		election.join();
		return election;
	}

	private ConsulConnection connection(Duration requestTimeout) {
		return ConsulConnection.builder()
			.host("127.0.0.1")
			.port(this.agent.port())
			.token(TOKEN)
			.requestTimeout(requestTimeout)
			.build();
	}

	private static LeaderElectionSettings settings(String nodeId) {
		return LeaderElectionSettings.builder()
			.nodeId(nodeId)
			.address("127.0.0.1:" + nodeId)
			.heartbeatInterval(HEARTBEAT)
			.electionTimeout(ELECTION_TIMEOUT)
			.build();
	}

	/** The leader and its leadership, from one look at all nodes (a second look may find it lapsed). */
	private LeaderSample.Held<ConsulLeaderElection> awaitSingleLeader() {
		return await().atMost(Duration.ofSeconds(30))
			.until(() -> LeaderSample.leaderAmong(this.nodes), Optional::isPresent)
			.get();
	}

	private LeadershipEvent awaitRevoked(long token) {
		// listeners run off the election thread: the REVOKED event may arrive just after isLeader() turns false
		return await().atMost(Duration.ofSeconds(30))
			.until(() -> this.events.stream()
				.filter((event) -> event.type() == Type.REVOKED && event.fencingToken() == token)
				.findFirst(), Optional::isPresent)
			.orElseThrow();
	}

	private LeadershipEvent awaitGrantAfter(long token) {
		return await().atMost(Duration.ofSeconds(30))
			.until(() -> this.events.stream()
				.filter((event) -> event.type() == Type.GRANTED && event.fencingToken() > token)
				.findFirst()
				.orElse(null), (event) -> event != null);
	}

	private static int indexOf(List<FakeConsulAgent.Request> requests, String pathPrefix, String queryKey) {
		for (int i = 0; i < requests.size(); i++) {
			FakeConsulAgent.Request request = requests.get(i);
			if (request.path().startsWith(pathPrefix) && (queryKey == null || request.query().containsKey(queryKey))) {
				return i;
			}
		}
		return -1;
	}

}
