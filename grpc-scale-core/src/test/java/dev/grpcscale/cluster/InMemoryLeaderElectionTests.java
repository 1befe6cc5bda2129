package dev.grpcscale.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.cluster.LeadershipEvent.Type;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class InMemoryLeaderElectionTests {

	/**
	 * The election timeout of the nodes on real time. A leader's lease lasts this less the safety margin from
	 * its last renewal (every 50 ms), so a stall of its scheduler shorter than ~4.5 s, which a busy 2-core
	 * machine can produce for a fraction of that, does not make leadership change hands under a test; and a
	 * successor that waited for a silent leader's lease would come no sooner than this.
	 */
	private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(5);

	private final List<LeaderElection> elections = new ArrayList<>();

	@AfterEach
	void closeAll() {
		this.elections.forEach(LeaderElection::close);
	}

	@Test
	void exactlyOneOfFiveNodesLeads() {
		InMemoryLeaderGroup group = InMemoryLeaderGroup.create();
		for (int i = 0; i < 5; i++) {
			join(InMemoryLeaderElection.create(group, settings("n" + i).build()));
		}
		await().atMost(Duration.ofSeconds(30)).until(() -> leaders().size() == 1);
		LeaderElection leader = leaders().get(0);
		for (LeaderElection election : this.elections) {
			assertThat(election.currentLeader()).hasValueSatisfying(
					(info) -> assertThat(info.nodeId()).isEqualTo(leader.settings().nodeId()));
		}
		assertThat(leaders()).hasSize(1);
	}

	@Test
	void leaderLeavingHandsOverSoonerThanAnElectionTimeoutWithAHigherToken() {
		InMemoryLeaderGroup group = InMemoryLeaderGroup.create();
		List<LeadershipEvent> grants = new CopyOnWriteArrayList<>();
		for (int i = 0; i < 3; i++) {
			LeaderElection election = InMemoryLeaderElection.create(group, settings("n" + i).build());
			election.addListener((event) -> {
				if (event.type() == Type.GRANTED) {
					grants.add(event);
				}
			});
			join(election);
		}
		await().atMost(Duration.ofSeconds(30)).until(() -> leaders().size() == 1);
		LeaderElection first = leaders().get(0);
		long firstToken = first.leadership().orElseThrow().fencingToken();

		long start = System.nanoTime();
		first.leave();
		assertThat(first.isLeader()).isFalse();
		await().atMost(Duration.ofSeconds(30)).until(() -> leaders().size() == 1);
		long handover = System.nanoTime() - start;
		LeaderElection second = leaders().get(0);
		assertThat(second).isNotSameAs(first);
		assertThat(second.leadership().orElseThrow().fencingToken()).isGreaterThan(firstToken);
		// the group promotes a successor of a leader that just stops renewing after an election timeout; a
		// leader that leaves releases at once (in practice within milliseconds)
		assertThat(Duration.ofNanos(handover)).isLessThan(ELECTION_TIMEOUT);
		assertThat(grants).extracting(LeadershipEvent::fencingToken).isSorted().doesNotHaveDuplicates();
	}

	@Test
	void membersListsAnnouncedNodesAliveAndExpectedAbsentNodesDead() {
		InMemoryLeaderGroup group = InMemoryLeaderGroup.create();
		LeaderElection a = join(InMemoryLeaderElection.create(group,
				settings("a").address("10.0.0.1:9090").nodes(List.of("a", "b", "c")).build()));
		join(InMemoryLeaderElection.create(group, settings("b").address("10.0.0.2:9090").build()));
		await().atMost(Duration.ofSeconds(30)).until(() -> leaders().size() == 1);

		assertThat(a.members()).extracting(ClusterMember::nodeId, ClusterMember::address, ClusterMember::status)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("a", "10.0.0.1:9090", MemberStatus.ALIVE),
					org.assertj.core.groups.Tuple.tuple("b", "10.0.0.2:9090", MemberStatus.ALIVE),
					org.assertj.core.groups.Tuple.tuple("c", "", MemberStatus.DEAD));
		ClusterInfo info = a.clusterInfo();
		assertThat(info.provider()).isEqualTo("memory");
		assertThat(info.leader()).isNotNull();
		assertThat(info.isLeader()).isEqualTo(info.leader().nodeId().equals("a"));
		assertThat(info.highestFencingTokenSeen()).isEqualTo(info.leader().fencingToken());
		assertThat(info.ownFencingToken()).isEqualTo(info.isLeader() ? info.leader().fencingToken() : 0);
	}

	@Test
	void addressSupplierIsReadWhenTheNodeJoinsNotWhenTheElectionIsCreated() {
		InMemoryLeaderGroup group = InMemoryLeaderGroup.create();
		AtomicReference<String> bound = new AtomicReference<>("");
		LeaderElection election = InMemoryLeaderElection.create(group, settings("a").address(bound::get).build());
		this.elections.add(election);
		bound.set("127.0.0.1:43210");
		election.join();
		await().atMost(Duration.ofSeconds(30)).until(election::isLeader);

		assertThat(election.members()).extracting(ClusterMember::address).containsExactly("127.0.0.1:43210");
		assertThat(election.currentLeader()).map(LeaderInfo::address).hasValue("127.0.0.1:43210");
	}

	@Test
	void nodeThatJoinsWithoutLeaderElectionIsAMemberButNeverLeads() {
		InMemoryLeaderGroup group = InMemoryLeaderGroup.create();
		LeaderElection observer = InMemoryLeaderElection.create(group, settings("obs").leaderElection(false).build());
		List<LeadershipEvent> events = new CopyOnWriteArrayList<>();
		observer.addListener(events::add);
		join(observer);
		await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10)).until(() -> !observer.isLeader());
		// not even for a moment before the window above
		assertThat(events).isEmpty();
		assertThat(observer.members()).extracting(ClusterMember::nodeId).containsExactly("obs");
		assertThat(observer.currentLeader()).isEmpty();
	}

	@Test
	void electionsOfTheSameSharedNamespaceCompete() {
		join(InMemoryLeaderElection.shared(settings("x").namespace("shared-test").build()));
		join(InMemoryLeaderElection.shared(settings("y").namespace("shared-test").build()));
		join(InMemoryLeaderElection.shared(settings("z").namespace("other-test").build()));
		await().atMost(Duration.ofSeconds(30)).until(() -> leaders().size() == 2);
		assertThat(leaders()).extracting((election) -> election.settings().namespace())
			.containsExactlyInAnyOrder("shared-test", "other-test");
	}

	@Test
	void stalledLeaderStopsClaimingLeadershipBeforeTheGroupElectsAnother() {
		// Two nodes on one fake ticker; node a's scheduler is never run again after it wins (a paused process).
		ManualScheduler clock = new ManualScheduler();
		ManualScheduler aThreads = clock.sharingTime();
		InMemoryLeaderGroup group = InMemoryLeaderGroup.create();
		LeaderElection a = join(InMemoryLeaderElection.create(group,
				fakeTime(settings("a"), clock).scheduler(aThreads).build()));
		aThreads.runDue();
		assertThat(a.isLeader()).isTrue();
		long aValidUntil = a.leadership().orElseThrow().validUntilNanos();

		List<LeadershipEvent> bGrants = new CopyOnWriteArrayList<>();
		LeaderElection b = InMemoryLeaderElection.create(group, fakeTime(settings("b"), clock).scheduler(clock)
			.listenerExecutor(Runnable::run)
			.build());
		b.addListener(bGrants::add);
		join(b);
		for (int step = 0; step < 30 && !b.isLeader(); step++) {
			clock.advance(Duration.ofMillis(50));
			if (a.isLeader()) {
				assertThat(b.isLeader()).isFalse();
			}
		}
		assertThat(b.isLeader()).isTrue();
		assertThat(a.isLeader()).isFalse();
		LeadershipEvent granted = bGrants.get(0);
		assertThat(granted.atNanos()).isGreaterThanOrEqualTo(aValidUntil);
		assertThat(granted.fencingToken()).isGreaterThan(group.term() - 1).isEqualTo(2);
	}

	private static LeaderElectionSettings.Builder fakeTime(LeaderElectionSettings.Builder builder, ManualScheduler clock) {
		return builder.electionTimeout(Duration.ofMillis(500)).ticker(clock::nanoTime);
	}

	private static LeaderElectionSettings.Builder settings(String nodeId) {
		return LeaderElectionSettings.builder()
			.nodeId(nodeId)
			.heartbeatInterval(Duration.ofMillis(50))
			.electionTimeout(ELECTION_TIMEOUT);
	}

	private LeaderElection join(LeaderElection election) {
		this.elections.add(election);
		election.join();
		return election;
	}

	private List<LeaderElection> leaders() {
		return this.elections.stream().filter(LeaderElection::isLeader).toList();
	}

}
