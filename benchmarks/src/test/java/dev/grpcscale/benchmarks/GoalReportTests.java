package dev.grpcscale.benchmarks;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The report's ratio and verdict logic and the harness's argument parsing; nothing is measured here. */
class GoalReportTests {

	@Test
	void atLeastPassesOnTheBoundAndFailsBelowIt() {
		assertThat(CaseResult.atLeast("a", 95, 100, "scale/bare", 0.95, "raw").pass()).isTrue();
		CaseResult below = CaseResult.atLeast("a", 94, 100, "scale/bare", 0.95, "raw");
		assertThat(below.pass()).isFalse();
		assertThat(below.line()).isEqualTo("a: ratio=0.940 (scale/bare) goal=>= 0.950 FAIL | raw");
	}

	@Test
	void atMostJudgesTheRatio() {
		assertThat(CaseResult.atMost("b", 150, 100, "x", 1.5, "").pass()).isTrue();
		assertThat(CaseResult.atMost("b", 151, 100, "x", 1.5, "").pass()).isFalse();
	}

	@Test
	void boundedByJudgesTheMeasuredValueAndReportsTheRatioForInformation() {
		CaseResult result = CaseResult.boundedBy("c", 180, 3, "vs map", 200, "<= 200 ns", "raw");
		assertThat(result.pass()).isTrue();
		assertThat(result.ratio()).isEqualTo(60.0);
		assertThat(CaseResult.boundedBy("c", 201, 3, "vs map", 200, "<= 200 ns", "raw").pass()).isFalse();
	}

	@Test
	void aFailedGoalMakesTheReportExitWithOneAndItsLastLineCountsPassedAndFailed() {
		CaseResult passed = CaseResult.atMost("b", 1, 1, "x", 1.5, "");
		CaseResult failed = CaseResult.atMost("b", 2, 1, "x", 1.5, "");
		assertThat(GoalReport.exitStatus(List.of(passed, passed))).isZero();
		assertThat(GoalReport.exitStatus(List.of(passed, failed))).isEqualTo(1);
		assertThat(GoalReport.verdict(List.of(passed, failed, failed))).isEqualTo("goals: 1 passed, 2 failed");
	}

	@Test
	void ratioOverANonPositiveBaselineIsNotANumber() {
		assertThat(CaseResult.atMost("b", 1, 0, "x", 1.5, "").line()).startsWith("b: ratio=n/a");
	}

	@Test
	void percentileIsNearestRank() {
		long[] values = new long[200];
		for (int i = 0; i < values.length; i++) {
			values[i] = 200 - i;
		}
		assertThat(PropagationMeasurement.Latencies.percentile(values, 50)).isEqualTo(100);
		assertThat(PropagationMeasurement.Latencies.percentile(values, 99)).isEqualTo(198);
		assertThat(PropagationMeasurement.Latencies.percentile(values, 100)).isEqualTo(200);
	}

	@Test
	void failoverCasesCompareTheSlowestRoundWithTheirBounds() {
		PropagationMeasurement.Latencies fast = new PropagationMeasurement.Latencies("m", new long[] { 1_000_000 },
				new long[] { 1_000_000 });
		LeaderFailoverMeasurement.Failovers failovers = new LeaderFailoverMeasurement.Failovers(
				List.of(20_000_000L, 600_000_000L), List.of(1_000_000_000L), Duration.ofMillis(1200));
		List<CaseResult> results = GoalReport.caseE(fast, fast, fast, failovers);
		assertThat(results).extracting(CaseResult::name, CaseResult::pass)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("e.propagation.memory.p99", true),
					org.assertj.core.groups.Tuple.tuple("e.propagation.etcd3.p99", true),
					org.assertj.core.groups.Tuple.tuple("e.failover.graceful.max", false),
					org.assertj.core.groups.Tuple.tuple("e.failover.crash.max", true));
	}

	@Test
	void harnessOptionsParseOverTheDefaults() {
		LoopbackLoadHarness.Options options = LoopbackLoadHarness.Options.parse("--callers", "4", "--duration", "500ms",
				"--warmup", "2s", "--sampling", "0.5");
		assertThat(options.callers()).isEqualTo(4);
		assertThat(options.duration()).isEqualTo(Duration.ofMillis(500));
		assertThat(options.warmup()).isEqualTo(Duration.ofSeconds(2));
		assertThat(options.sampling()).isEqualTo(0.5);
		assertThat(options.servers()).isEqualTo(3);
		assertThat(options.variants()).isEmpty();
	}

	@Test
	void harnessOptionsParseVariantsToMeasureBesideBareAndScale() {
		assertThat(LoopbackLoadHarness.Options.parse("--variants", "tracing,breakers,tracing").variants())
			.containsExactly(LoopbackLoadHarness.Variant.TRACING, LoopbackLoadHarness.Variant.BREAKERS);
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LoopbackLoadHarness.Options.parse("--variants", "breakers,scale"))
			.withMessage("--variants: 'scale' (expected: breakers, tracing or discovery)");
	}

	@Test
	void harnessOptionsRejectBadValuesNamingTheArgument() {
		assertThatIllegalArgumentException().isThrownBy(() -> LoopbackLoadHarness.Options.parse("--callers", "0"))
			.withMessage("--callers: '0' (expected: an integer >= 1)");
		assertThatIllegalArgumentException().isThrownBy(() -> LoopbackLoadHarness.Options.parse("--duration", "ten"))
			.withMessage("--duration: 'ten' (expected: a duration such as 500ms or 10s)");
		assertThatIllegalArgumentException().isThrownBy(() -> LoopbackLoadHarness.Options.parse("--threads", "2"))
			.withMessageStartingWith("--threads: unknown argument");
	}

}
