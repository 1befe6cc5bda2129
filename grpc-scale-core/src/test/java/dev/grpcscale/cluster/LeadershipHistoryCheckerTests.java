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

	private static LeadershipHistoryChecker checker() {
		return new LeadershipHistoryChecker(Duration.ofMillis(2200));
	}

}
