package dev.grpcscale.cluster;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.Subscription;
import dev.grpcscale.cluster.LeadershipEvent.Type;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lease engine with a scripted backend, a fake ticker and a manual scheduler: heartbeat 200 ms, election
 * timeout 1 s, safety margin 100 ms, so a confirmed renewal keeps leadership for 900 ms from its send time.
 */
class AbstractLeaderElectionTests {

	private static final Duration VALIDITY = Duration.ofMillis(900);

	private final ManualScheduler scheduler = new ManualScheduler();

	private final List<LeadershipEvent> events = new CopyOnWriteArrayList<>();

	private final ScriptedLeaderElection election = new ScriptedLeaderElection(LeaderElectionSettings.builder()
		.nodeId("n1")
		.heartbeatInterval(Duration.ofMillis(200))
		.electionTimeout(Duration.ofSeconds(1))
		.safetyMargin(Duration.ofMillis(100))
		.ticker(this.scheduler::nanoTime)
		.scheduler(this.scheduler)
		// Listeners inline, for determinism; LeadershipListenerThreadingTests covers the election's own listener threads.
		.listenerExecutor(Runnable::run)
		.build());

	@AfterEach
	void close() {
		this.election.close();
	}

	@Test
	void isLeaderTurnsFalseExactlyAtValidityAfterTheLastConfirmedRenewalWasSentWithoutAnyEvent() {
		long sessionSent = joinAndWin(7);
		assertThat(this.election.isLeader()).isTrue();
		assertThat(this.election.leadership()).hasValueSatisfying(
				(held) -> assertThat(held.validUntilNanos()).isEqualTo(sessionSent + VALIDITY.toNanos()));

		// The heartbeat at +200 ms sends a renewal; etcd confirms it 300 ms later.
		this.scheduler.advance(Duration.ofMillis(200));
		long renewalSent = this.scheduler.nanoTime();
		assertThat(this.election.renewals).hasSize(1);
		this.scheduler.advance(Duration.ofMillis(300));
		this.election.renewals.poll().complete(true);
		this.scheduler.runDue();
		// Valid from the SEND time, not from the confirmation time.
		assertThat(this.election.leadership().orElseThrow().validUntilNanos())
			.isEqualTo(renewalSent + VALIDITY.toNanos());

		// No further renewal is confirmed, and no task runs (a paused node): only the ticker moves.
		long untilDeadline = renewalSent + VALIDITY.toNanos() - this.scheduler.nanoTime();
		this.scheduler.moveTickerOnly(Duration.ofNanos(untilDeadline - 1));
		assertThat(this.election.isLeader()).isTrue();
		this.scheduler.moveTickerOnly(Duration.ofNanos(1));
		assertThat(this.election.isLeader()).isFalse();
		assertThat(this.election.leadership()).isEmpty();
		assertThat(this.events).extracting(LeadershipEvent::type).doesNotContain(Type.REVOKED);
	}

	@Test
	void scheduledCheckRevokesAtTheDeadlineThenCampaignsAgainOnANewSession() {
		long sent = joinAndWin(7);
		// Renewals are sent but never confirmed.
		this.scheduler.advance(Duration.ofMillis(899));
		assertThat(this.events).extracting(LeadershipEvent::type).containsExactly(Type.GRANTED);
		this.scheduler.advance(Duration.ofMillis(1));

		LeadershipEvent revoked = this.events.get(this.events.size() - 1);
		assertThat(revoked.type()).isEqualTo(Type.REVOKED);
		assertThat(revoked.fencingToken()).isEqualTo(7);
		assertThat(revoked.atNanos()).isEqualTo(sent + VALIDITY.toNanos());
		assertThat(revoked.validUntilNanos()).isEqualTo(sent + VALIDITY.toNanos());
		assertThat(this.election.closed).containsExactly("s1");
		// A new session is being opened.
		assertThat(this.election.opens).hasSize(1);
		this.election.opens.poll().complete("s2");
		this.scheduler.runDue();
		assertThat(this.election.campaigns).hasSize(1);
		this.election.campaigns.poll().complete(9L);
		this.scheduler.runDue();
		assertThat(this.election.isLeader()).isTrue();
		assertThat(this.election.leadership().orElseThrow().fencingToken()).isEqualTo(9);
		assertThat(this.election.ownFencingToken()).isEqualTo(9);
		assertThat(this.election.highestFencingTokenSeen()).isEqualTo(9);
	}

	@Test
	void renewalConfirmedAfterTheDeadlineNeverRestoresLeadership() {
		joinAndWin(7);
		this.scheduler.advance(Duration.ofMillis(200));
		assertThat(this.election.renewals).hasSize(1);
		// The node is paused past the deadline; when it resumes the old renewal's answer arrives first.
		this.scheduler.moveTickerOnly(Duration.ofSeconds(2));
		this.election.renewals.poll().complete(true);
		this.scheduler.runDue();
		assertThat(this.election.isLeader()).isFalse();
		assertThat(this.events).extracting(LeadershipEvent::type).containsExactly(Type.GRANTED, Type.REVOKED);
		assertThat(this.election.closed).containsExactly("s1");
	}

	@Test
	void sessionReportedLostRevokesAtOnceAndOpensANewSession() {
		joinAndWin(7);
		this.scheduler.advance(Duration.ofMillis(200));
		this.election.renewals.poll().complete(false);
		this.scheduler.runDue();
		assertThat(this.election.isLeader()).isFalse();
		assertThat(this.events).extracting(LeadershipEvent::type).containsExactly(Type.GRANTED, Type.REVOKED);
		assertThat(this.election.opens).hasSize(1);
	}

	@Test
	void electionWonAfterTheLeaseLapsedIsNotGranted() {
		this.election.addListener(this.events::add);
		this.election.join();
		this.scheduler.runDue();
		this.election.opens.poll().complete("s1");
		this.scheduler.runDue();
		// Renewals fail; the campaign answers only after the lease lapsed.
		this.scheduler.advance(Duration.ofMillis(1000));
		this.election.renewals.forEach((renewal) -> renewal.completeExceptionally(new IllegalStateException("down")));
		this.election.renewals.clear();
		this.election.campaigns.poll().complete(7L);
		this.scheduler.runDue();
		assertThat(this.election.isLeader()).isFalse();
		assertThat(this.events).isEmpty();
		assertThat(this.election.closed).containsExactly("s1");
	}

	@Test
	void fencingTokensOfSuccessiveLeadershipsOnlyGrow() {
		joinAndWin(7);
		this.election.renewals.clear();
		this.election.leader = new LeaderInfo("other", "", 12);
		this.scheduler.advance(Duration.ofMillis(100));
		assertThat(this.election.highestFencingTokenSeen()).isEqualTo(12);
		this.election.leader = new LeaderInfo("older", "", 3);
		assertThat(this.election.highestFencingTokenSeen()).isEqualTo(12);
	}

	@Test
	@SuppressWarnings("removal")
	void deposedNodeFencesWithNothingWhileItsHighestSeenTokenIsTheNewLeaders() {
		joinAndWin(7);
		assertThat(this.election.ownFencingToken()).isEqualTo(7);
		assertThat(this.election.clusterInfo().ownFencingToken()).isEqualTo(7);
		// The backend shows another node leading with token 12: this node is deposed.
		this.election.renewals.clear();
		this.election.leader = new LeaderInfo("other", "", 12);
		this.scheduler.advance(Duration.ofMillis(100));
		assertThat(this.election.isLeader()).isFalse();
		assertThat(this.election.ownFencingToken()).isZero();
		assertThat(this.election.highestFencingTokenSeen()).isEqualTo(12);
		ClusterInfo info = this.election.clusterInfo();
		assertThat(info.ownFencingToken()).isZero();
		assertThat(info.highestFencingTokenSeen()).isEqualTo(12);
		// The deprecated accessors used to return 12 here, which a store would accept from this deposed node.
		assertThat(this.election.fencingToken()).isZero();
		assertThat(info.fencingToken()).isZero();
	}

	@Test
	void throwingListenerDoesNotKeepOtherListenersFromEvents() {
		this.election.addListener((event) -> {
			throw new IllegalStateException("boom");
		});
		joinAndWin(7);
		assertThat(this.events).extracting(LeadershipEvent::type).containsExactly(Type.GRANTED);
		assertThat(this.election.isLeader()).isTrue();
	}

	@Test
	void listenerAddedWhileLeaderFirstReceivesTheCurrentGrantAndNothingAfterCancel() {
		joinAndWin(7);
		List<LeadershipEvent> late = new CopyOnWriteArrayList<>();
		Subscription subscription = this.election.addListener(late::add);
		assertThat(late).singleElement().satisfies((event) -> {
			assertThat(event.type()).isEqualTo(Type.GRANTED);
			assertThat(event.fencingToken()).isEqualTo(7);
		});
		subscription.cancel();
		this.election.leave();
		assertThat(late).hasSize(1);
		assertThat(this.events).extracting(LeadershipEvent::type).containsExactly(Type.GRANTED, Type.REVOKED);
	}

	@Test
	void leaveRevokesBeforeReturningAndClosesTheSession() {
		joinAndWin(7);
		this.election.leave();
		assertThat(this.election.isLeader()).isFalse();
		assertThat(this.events).extracting(LeadershipEvent::type).containsExactly(Type.GRANTED, Type.REVOKED);
		assertThat(this.election.closed).containsExactly("s1");
		this.scheduler.advance(Duration.ofSeconds(5));
		assertThat(this.election.opens).isEmpty();
		assertThat(this.election.renewals).isEmpty();
	}

	@Test
	void backendShowingAnotherLeaderRevokesThisNode() {
		joinAndWin(7);
		this.election.leader = new LeaderInfo("other", "", 8);
		this.scheduler.advance(Duration.ofMillis(100));
		assertThat(this.election.isLeader()).isFalse();
		assertThat(this.events).extracting(LeadershipEvent::type).containsExactly(Type.GRANTED, Type.REVOKED);
	}

	/** Joins, opens session s1 now, wins with the token; returns the session's send time. */
	private long joinAndWin(long token) {
		this.election.addListener(this.events::add);
		this.election.join();
		this.scheduler.runDue();
		long sent = this.scheduler.nanoTime();
		this.election.opens.poll().complete("s1");
		this.scheduler.runDue();
		this.election.campaigns.poll().complete(token);
		this.scheduler.runDue();
		assertThat(this.election.isLeader()).isTrue();
		return sent;
	}

}
