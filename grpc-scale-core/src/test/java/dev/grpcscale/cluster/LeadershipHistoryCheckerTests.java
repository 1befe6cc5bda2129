package dev.grpcscale.cluster;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class LeadershipHistoryCheckerTests {

	private static final long MS = 1_000_000L;

	@Test
	void successiveLeadersWithGrowingTokensPass() {
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"GRANTED a 5 " + 100 * MS + " " + 1000 * MS,
				"LEADING a 5 " + 150 * MS + " " + 151 * MS,
				"RENEWED a 5 " + 300 * MS + " " + 1200 * MS,
				"FAULT KILL a " + 400 * MS,
				"GRANTED b 9 " + 1300 * MS + " " + 2200 * MS,
				"REVOKED b 9 " + 1500 * MS + " " + 2200 * MS,
				"GRANTED c 12 " + 1600 * MS + " " + 2500 * MS)).check();
		report.assertValid();
		assertThat(report.intervals()).extracting((interval) -> interval.token).containsExactly(5L, 9L, 12L);
		assertThat(report.failovers("KILL")).containsExactly(Duration.ofMillis(900));
	}

	@Test
	void overlappingLeadershipsFail() {
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"GRANTED a 5 " + 100 * MS + " " + 1000 * MS,
				"GRANTED b 9 " + 900 * MS + " " + 1800 * MS)).check();
		assertThat(report.violations()).singleElement().asString().startsWith("overlap: b#9");
		assertThatExceptionOfType(AssertionError.class).isThrownBy(report::assertValid);
	}

	@Test
	void overlapWithAnEarlierLongerLeadershipFailsEvenWhenTheLatestEndedInTime() {
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"GRANTED a 5 " + 100 * MS + " " + 5000 * MS,
				"GRANTED b 6 " + 200 * MS + " " + 1000 * MS,
				"REVOKED b 6 " + 300 * MS + " " + 1000 * MS,
				"GRANTED c 7 " + 400 * MS + " " + 1000 * MS)).check();
		assertThat(report.violations()).hasSize(2).allMatch((violation) -> violation.startsWith("overlap"));
	}

	@Test
	void tokensThatDoNotGrowFail() {
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"GRANTED a 9 " + 100 * MS + " " + 200 * MS,
				"GRANTED b 5 " + 300 * MS + " " + 400 * MS)).check();
		assertThat(report.violations()).singleElement().asString().startsWith("token did not grow");
	}

	@Test
	void sameTokenForTwoNodesFails() {
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"GRANTED a 9 " + 100 * MS + " " + 200 * MS,
				"GRANTED b 9 " + 300 * MS + " " + 400 * MS)).check();
		assertThat(report.violations()).singleElement().asString().startsWith("token 9 granted twice");
	}

	@Test
	void pausedLeaderWhoseRevocationIsLoggedLateEndsAtItsLoggedValidity() {
		// a is SIGSTOPped at 300 ms; b is elected at 1400 ms; a resumes at 2500 ms and only then logs REVOKED.
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"GRANTED a 5 " + 100 * MS + " " + 1000 * MS,
				"RENEWED a 5 " + 200 * MS + " " + 1100 * MS,
				"FAULT STOP a " + 300 * MS,
				"GRANTED b 9 " + 1400 * MS + " " + 2300 * MS,
				"FAULT CONT a " + 2500 * MS,
				"REVOKED a 5 " + 2501 * MS + " " + 1100 * MS)).check();
		report.assertValid();
		assertThat(report.failovers("STOP")).containsExactly(Duration.ofMillis(1100));
	}

	@Test
	void probeThatSawLeadershipAfterTheIntervalFails() {
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"GRANTED a 5 " + 100 * MS + " " + 1000 * MS,
				"LEADING a 5 " + 1001 * MS + " " + 1002 * MS)).check();
		assertThat(report.violations()).singleElement().asString().startsWith("probe saw leadership outside");
	}

	@Test
	void eventsForALeadershipNeverGrantedFail() {
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"RENEWED a 5 " + 100 * MS + " " + 1000 * MS,
				"REVOKED a 5 " + 100 * MS + " " + 1000 * MS,
				"LEADING a 5 " + 100 * MS + " " + 101 * MS)).check();
		assertThat(report.violations()).hasSize(3);
	}

	@Test
	void failoverSlowerThanTheBoundFails() {
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"GRANTED a 5 " + 100 * MS + " " + 1000 * MS,
				"FAULT KILL a " + 200 * MS,
				"GRANTED b 9 " + 3000 * MS + " " + 3900 * MS)).check();
		assertThat(report.violations()).singleElement().asString().startsWith("failover after KILL of a took PT2.8S");
	}

	@Test
	void leaderFaultWithoutAnyLaterLeaderFails() {
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"GRANTED a 5 " + 100 * MS + " " + 1000 * MS,
				"FAULT TERM a " + 200 * MS)).check();
		assertThat(report.violations()).singleElement().asString().startsWith("no new leader after TERM of a");
	}

	@Test
	void partitionOfTheLeaderCountsAsAFaultOfTheLeader() {
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"GRANTED a 5 " + 100 * MS + " " + 1000 * MS,
				"FAULT PARTITION_BLACKHOLE a " + 200 * MS,
				"GRANTED b 9 " + 1500 * MS + " " + 2400 * MS,
				"FAULT PARTITION_DROP b " + 1600 * MS)).check();
		assertThat(report.failovers("PARTITION_BLACKHOLE")).containsExactly(Duration.ofMillis(1300));
		assertThat(report.violations()).singleElement().asString().startsWith("no new leader after PARTITION_DROP of b");
	}

	@Test
	void recoveryAfterAHealedBackendFaultIsTheTimeToTheNextLeader() {
		LeadershipHistoryChecker.Report report = new LeadershipHistoryChecker(Duration.ofMillis(2200),
				Duration.ofMillis(3000))
			.addAll(List.of(
					"GRANTED a 5 " + 100 * MS + " " + 1000 * MS,
					"HEALED ETCD_STOP m1 " + 500 * MS,
					"HEALED QUORUM_LOSS m0,m1 " + 2000 * MS,
					"GRANTED b 9 " + 3500 * MS + " " + 4400 * MS,
					"HEALED QUORUM_LOSS m1,m2 " + 5000 * MS,
					"GRANTED c 12 " + 8100 * MS + " " + 9000 * MS))
			.check();
		assertThat(report.recoveries("ETCD_STOP")).containsExactly(Duration.ZERO);
		assertThat(report.recoveries("QUORUM_LOSS")).containsExactly(Duration.ofMillis(1500), Duration.ofMillis(3100));
		assertThat(report.violations()).singleElement().asString()
			.isEqualTo("no leader for PT3.1S after QUORUM_LOSS of m1,m2 healed (expected: <= PT3S)");
	}

	@Test
	void fencedWritesThatTheStoreHoldsInTokenOrderPass() {
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"GRANTED a 5 " + 100 * MS + " " + 1000 * MS,
				"WRITE_OK a 5 a-5-0 " + 110 * MS + " " + 120 * MS + " 40",
				"WRITE_SENT a 5 a-5-1 " + 130 * MS,
				"WRITE_FAILED a 5 a-5-1 " + 130 * MS + " " + 2130 * MS,
				"WRITE_SENT a 5 a-5-3 " + 140 * MS,
				"GRANTED b 9 " + 1500 * MS + " " + 2400 * MS,
				"WRITE_OK b 9 b-9-0 " + 1510 * MS + " " + 1520 * MS + " 44",
				"WRITE_REJECTED a 5 a-5-2 " + 2200 * MS + " " + 2210 * MS + " 9",
				"STORED a-5-0 5 40",
				"STORED a-5-1 5 42",
				"STORED a-5-3 5 43",
				"STORED b-9-0 9 44")).check();
		report.assertValid();
		assertThat(report.writes()).isEqualTo(new LeadershipHistoryChecker.Writes(2, 1, 2, 4));
	}

	@Test
	void lostStaleRejectedAndForeignWritesFail() {
		LeadershipHistoryChecker.Report report = checker().addAll(List.of(
				"GRANTED a 5 " + 100 * MS + " " + 1000 * MS,
				"GRANTED b 9 " + 1500 * MS + " " + 2400 * MS,
				"WRITE_OK a 5 a-5-0 " + 110 * MS + " " + 120 * MS + " 40",
				"WRITE_OK b 9 b-9-0 " + 1510 * MS + " " + 1520 * MS + " 44",
				"WRITE_OK a 5 a-5-1 " + 2500 * MS + " " + 2510 * MS + " 46",
				"WRITE_REJECTED b 9 b-9-1 " + 1530 * MS + " " + 1540 * MS + " 9",
				"WRITE_REJECTED a 5 a-5-2 " + 2600 * MS + " " + 2610 * MS + " 9",
				"WRITE_OK a 9 a-9-0 " + 2700 * MS + " " + 2710 * MS + " 48",
				"STORED b-9-0 9 44",
				"STORED a-5-1 5 46",
				"STORED a-5-2 5 47",
				"STORED a-9-0 9 48")).check();
		assertThat(report.violations()).containsExactlyInAnyOrder(
				"write under a token its node was never granted: WRITE_OK a 9 a-9-0 2700000000 2710000000 48",
				"write rejected although no higher token was written: WRITE_REJECTED b 9 b-9-1 1530000000 1540000000 9",
				"stale write accepted: STORED a-5-1 5 46 after token 9",
				"stale write accepted: STORED a-5-2 5 47 after token 9",
				"the store holds a write that was rejected: STORED a-5-2 5 47",
				"acknowledged write lost: WRITE_OK a 5 a-5-0 110000000 120000000 40");
	}

	private static LeadershipHistoryChecker checker() {
		return new LeadershipHistoryChecker(Duration.ofMillis(2200));
	}

}
