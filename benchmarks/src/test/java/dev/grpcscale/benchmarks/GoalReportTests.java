package dev.grpcscale.benchmarks;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.within;

/** The report's ratio, verdict and chart logic and the harness's argument parsing; no load is measured here. */
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
	void caseBJudgesTheMedianCpuRatioWithoutAndWithMetersOnOneAndFourThreads() {
		Map<Integer, Map<String, List<double[]>>> byThreads = new LinkedHashMap<>();
		for (int threads : ExecuteWithEnhancementsCpu.THREADS_MEASURED) {
			Map<String, List<double[]>> samples = new LinkedHashMap<>();
			samples.put("resilience4jDecorateCallable", cpu(100, 100, 100));
			// one round slowed by the machine does not move the median
			samples.put("executeWithEnhancements", cpu(110, 400, 120));
			samples.put("resilience4jDecorateCallableWithMeters", cpu(250, 250, 250));
			samples.put("executeWithEnhancementsWithMeters", (threads == 1) ? cpu(300, 310, 420) : cpu(400, 390, 420));
			byThreads.put(threads, samples);
		}
		List<CaseResult> results = GoalReport.caseB(new CpuSamples(byThreads));
		assertThat(results).extracting(CaseResult::name)
			.containsExactly("b.executeWithEnhancements.1-thread", "b.executeWithEnhancements.meters.1-thread",
					"b.executeWithEnhancements.4-threads", "b.executeWithEnhancements.meters.4-threads");
		assertThat(results).extracting(CaseResult::pass).containsExactly(true, true, true, false);
		assertThat(results.get(0).ratio()).isCloseTo(1.2, within(1e-9));
		assertThat(results.get(3).ratio()).isCloseTo(1.6, within(1e-9));
	}

	@Test
	void caseBChecksTheMetersOfTheMeteredBenchmarksThatRanOnly() throws Exception {
		ExecuteWithEnhancementsBenchmark state = new ExecuteWithEnhancementsBenchmark();
		state.setUp();
		try {
			// JMH runs one benchmark per state: the others' meters are empty and must not fail it
			state.executeWithEnhancements();
			assertThatNoException()
				.isThrownBy(() -> state.checkRecorded(List.of("executeWithEnhancements", "bareCall")));
			assertThatIllegalStateException()
				.isThrownBy(() -> state.checkRecorded(List.of("executeWithEnhancementsWithMeters")))
				.withMessageContaining("executeWithEnhancementsWithMeters recorded no meters");
			state.executeWithEnhancementsWithMeters();
			state.resilience4jDecorateCallableWithMeters();
			assertThatNoException().isThrownBy(() -> state.checkRecorded(
					List.of("executeWithEnhancementsWithMeters", "resilience4jDecorateCallableWithMeters")));
		}
		finally {
			state.close();
		}
	}

	private static List<double[]> cpu(double... nanosPerRound) {
		List<double[]> rounds = new java.util.ArrayList<>();
		for (double nanos : nanosPerRound) {
			rounds.add(new double[] { nanos, 0, 0 });
		}
		return rounds;
	}

	@Test
	void caseCJudgesTheMedianCpuTimePerReadAt10000AgainstTheBoundNotJmhsWallClock() {
		Map<String, List<double[]>> memory = new LinkedHashMap<>();
		memory.put("bareMapGet@10", cpu(5, 5, 5));
		memory.put("bareMapGet@10000", cpu(5, 4, 5));
		// one round slowed by the machine does not move the median
		memory.put("getInstances@10000", cpu(20, 900, 22));
		memory.put("discoverServices@10000", cpu(210, 190, 230));
		Map<String, double[]> jmh = Map.of("getInstances@10000", new double[] { 995, 0 });
		List<CaseResult> results = GoalReport.caseC("memory", new CpuSamples(Map.of(1, memory)), jmh, true);
		assertThat(results).extracting(CaseResult::name, CaseResult::pass)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("c.getInstances@10000.memory", true),
					org.assertj.core.groups.Tuple.tuple("c.discoverServices@10000.memory", false));
		assertThat(results).extracting(CaseResult::goal).containsOnly("<= 200 ns/op at 10,000");
		// the ratio is the median of the per-round ratios against the map: 4, 225, 4.4
		assertThat(results.get(0).ratio()).isCloseTo(4.4, within(1e-9));
		assertThat(results.get(0).ratioMeaning())
			.startsWith("getInstances / ConcurrentHashMap.get at 10,000, CPU per read, median 4.400");
		assertThat(results.get(0).raw()).startsWith("getInstances@10000 22.0 ns CPU per read, median 22.000")
			.contains("JMH wall clock, for reference: getInstances@10000 995.0 ns/op");
		assertThat(results.get(1).raw()).startsWith("discoverServices@10000 210.0 ns CPU per read");
	}

	@Test
	void caseCPassesOnTheBoundAndFailsAboveIt() {
		Map<String, List<double[]>> etcd = new LinkedHashMap<>();
		etcd.put("getInstances@10", cpu(90, 100, 110));
		etcd.put("getInstances@10000", cpu(200, 200, 200));
		etcd.put("discoverServices@10", cpu(100, 100, 100));
		etcd.put("discoverServices@10000", cpu(200.5, 199, 201));
		List<CaseResult> results = GoalReport.caseC("etcd", new CpuSamples(Map.of(1, etcd)), Map.of(), false);
		assertThat(results).extracting(CaseResult::name, CaseResult::pass)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("c.getInstances@10000.etcd", true),
					org.assertj.core.groups.Tuple.tuple("c.discoverServices@10000.etcd", false));
		// etcd's baseline is the same read at 10 instances, round by round: 200/90, 200/100, 200/110
		assertThat(results.get(0).ratio()).isCloseTo(2.0, within(1e-9));
		assertThat(results.get(0).ratioMeaning()).startsWith("getInstances at 10,000 / at 10, CPU per read, ");
		assertThat(results.get(0).raw()).doesNotContain("JMH");
	}

	@Test
	void cpuSamplesNameTheVariantsTheyHoldWhenAskedForAnother() {
		CpuSamples samples = new CpuSamples(Map.of(1, Map.of("getInstances@10", cpu(1))));
		assertThatIllegalArgumentException().isThrownBy(() -> samples.cpu(1, "getInstances@10000"))
			.withMessage("variant: getInstances@10000 (expected: one of [getInstances@10])");
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
	void failoverCasesCompareTheSlowestRoundWithTheBoundOfTheirOwnRaftTimings() {
		PropagationMeasurement.Latencies fast = new PropagationMeasurement.Latencies("m", new long[] { 1_000_000 },
				new long[] { 1_000_000 });
		LeaderFailoverMeasurement.Failovers tuned = new LeaderFailoverMeasurement.Failovers("raft heartbeat 50 ms",
				List.of(20_000_000L, 600_000_000L), List.of(1_000_000_000L), Duration.ofSeconds(1),
				Duration.ofMillis(1700));
		LeaderFailoverMeasurement.Failovers defaults = new LeaderFailoverMeasurement.Failovers(
				"etcd's default raft timings", List.of(20_000_000L), List.of(2_400_000_000L, 2_800_000_000L),
				Duration.ofSeconds(2), Duration.ofMillis(2700));
		PropagationMeasurement.Paired paired = new PropagationMeasurement.Paired(fast, fast);
		List<CaseResult> results = GoalReport.caseE(paired, paired, paired, List.of(tuned, defaults));
		assertThat(results).extracting(CaseResult::name, CaseResult::pass)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("e.propagation.memory.p99", true),
					org.assertj.core.groups.Tuple.tuple("e.propagation.etcd3.p99", true),
					org.assertj.core.groups.Tuple.tuple("e.failover.graceful.max.tuned", false),
					org.assertj.core.groups.Tuple.tuple("e.failover.crash.max.tuned", true),
					org.assertj.core.groups.Tuple.tuple("e.failover.graceful.max.etcd-defaults", true),
					org.assertj.core.groups.Tuple.tuple("e.failover.crash.max.etcd-defaults", false));
		assertThat(results.get(5).goal()).isEqualTo("<= 2700 ms (TTL 2 s + 700 ms)");
	}

	@Test
	void failoverChartHasOneGroupPerRoundAndABoundLinePerClusterTiming() {
		LeaderFailoverMeasurement.Failovers tuned = new LeaderFailoverMeasurement.Failovers("tuned",
				List.of(5_000_000L, 6_000_000L, 7_000_000L), List.of(1_000_000_000L), Duration.ofSeconds(1),
				Duration.ofMillis(1700));
		SvgChart chart = GoalReport.failoverChart(List.of(tuned));
		assertThat(chart.categories()).containsExactly("round 1", "round 2", "round 3");
		assertThat(chart.series().get(0).values()).containsExactly(1000.0, Double.NaN, Double.NaN);
		assertThat(chart.series().get(1).values()).containsExactly(5.0, 6.0, 7.0);
		assertThat(chart.lines()).extracting(SvgChart.Line::value).containsExactly(1700.0);
	}

	@Test
	void svgChartDrawsABarAndALabelPerValueAndEscapesText() {
		SvgChart chart = new SvgChart("a < b & c", "us", List.of("p50", "p99"),
				List.of(new SvgChart.Series("bare", List.of(100.0, 400.0)),
						new SvgChart.Series("scale", List.of(110.0, Double.NaN))),
				List.of(new SvgChart.Line("bound", 500)));
		String svg = chart.render();
		assertThat(svg).startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"").endsWith("</svg>\n");
		assertThat(svg).contains("a &lt; b &amp; c").contains(">400<").contains(">110<").contains("bound 500");
		// three bars and two legend swatches besides the background
		assertThat(svg.split("<rect ", -1)).hasSize(1 + 1 + 3 + 2);
		assertThat(chart.render()).isEqualTo(svg);
	}

	@Test
	void logarithmicSvgChartLabelsDecadesAndDrawsEveryBar() {
		SvgChart chart = new SvgChart("latency", "us", List.of("p50", "p99.9"),
				List.of(new SvgChart.Series("bare", List.of(300.0, 15_000.0))), List.of(), true);
		String svg = chart.render();
		assertThat(svg).contains(">100<").contains(">1,000<").contains(">100,000<").contains(">15,000<");
		assertThat(svg.split("<rect ", -1)).hasSize(1 + 1 + 2 + 1);
	}

	@Test
	void svgChartRejectsASeriesWithoutOneValuePerCategory() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new SvgChart("t", "ms", List.of("a", "b"),
					List.of(new SvgChart.Series("s", List.of(1.0))), List.of()))
			.withMessage("series s: 1 values (expected: 2, one per category)");
	}

	@Test
	void niceStepIsOneTwoOrFiveTimesAPowerOfTen() {
		assertThat(SvgChart.niceStep(0.7)).isEqualTo(1.0);
		assertThat(SvgChart.niceStep(130)).isEqualTo(200.0);
		assertThat(SvgChart.niceStep(3100)).isEqualTo(5000.0);
	}

	@Test
	void spreadGivesTheMedianQuartilesAndRange() {
		Spread spread = Spread.of(List.of(1.3, 0.9, 1.0, 1.1, 0.8, 1.2, 1.05));
		assertThat(spread.median()).isEqualTo(1.05);
		assertThat(spread.q1()).isCloseTo(0.95, org.assertj.core.data.Offset.offset(1e-9));
		assertThat(spread.q3()).isCloseTo(1.15, org.assertj.core.data.Offset.offset(1e-9));
		assertThat(spread.min()).isEqualTo(0.8);
		assertThat(spread.max()).isEqualTo(1.3);
		assertThat(spread.count()).isEqualTo(7);
		assertThat(Spread.of(List.of(2.0, 4.0)).median()).isEqualTo(3.0);
	}

	@Test
	void caseAJudgesTheMedianOfPerRoundRatiosAgainstTheSameObservability() {
		java.util.Map<String, List<ConcurrentLoadComparison.Round>> rounds = new java.util.LinkedHashMap<>();
		// boot: 100 calls/s and 10 us CPU per call every round; scale: one bad round out of seven
		rounds.put(ConcurrentLoadComparison.BOOT, java.util.Collections.nCopies(7, round(100, 10_000)));
		List<ConcurrentLoadComparison.Round> scale = new java.util.ArrayList<>(
				java.util.Collections.nCopies(6, round(98, 10_300)));
		scale.add(round(50, 20_000));
		rounds.put(ConcurrentLoadComparison.SCALE, scale);
		ConcurrentLoadComparison.Result result = new ConcurrentLoadComparison.Result(
				ConcurrentLoadComparison.Options.quick(), rounds, List.of());
		assertThat(result.ratio(ConcurrentLoadComparison.SCALE, ConcurrentLoadComparison.BOOT,
				ConcurrentLoadComparison.Round::throughput).min()).isEqualTo(0.5);
		assertThat(result.results()).extracting(CaseResult::name, CaseResult::pass)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("a.addition.cpu-per-call", true),
					org.assertj.core.groups.Tuple.tuple("a.addition.throughput", true));
		assertThat(result.results().get(0).ratio()).isCloseTo(1.03, org.assertj.core.data.Offset.offset(1e-9));
	}

	@Test
	void costMeterCountsTheBytesAThreadAllocatesBetweenSnapshots() {
		CostMeter meter = new CostMeter();
		CostMeter.Snapshot before = meter.snapshot();
		byte[][] kept = new byte[64][];
		for (int i = 0; i < kept.length; i++) {
			kept[i] = new byte[16 * 1024];
		}
		CostMeter.Snapshot after = meter.snapshot();
		assertThat(kept[kept.length - 1]).hasSize(16 * 1024);
		assertThat(after.allocatedBytesSince(before)).isGreaterThanOrEqualTo(64L * 16 * 1024);
		assertThat(after.cpuNanosSince(before)).isNotNegative();
		assertThat(after.threadCpuNanosSince(before)).isNotNegative();
	}

	@Test
	void costMeterTellsStacksApartByTheirThreadNames() throws Exception {
		CostMeter meter = new CostMeter();
		java.util.concurrent.CountDownLatch measured = new java.util.concurrent.CountDownLatch(1);
		java.util.concurrent.CountDownLatch allocated = new java.util.concurrent.CountDownLatch(1);
		CostMeter.Snapshot before = meter.snapshot();
		Thread stack = new Thread(() -> {
			byte[][] kept = new byte[64][];
			for (int i = 0; i < kept.length; i++) {
				kept[i] = new byte[16 * 1024];
			}
			allocated.countDown();
			try {
				measured.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}, "scale/caller-1");
		stack.start();
		allocated.await();
		CostMeter.Snapshot after = meter.snapshot();
		measured.countDown();
		stack.join();
		assertThat(after.allocatedBytesSince(before, "scale/")).isGreaterThanOrEqualTo(64L * 16 * 1024);
		assertThat(after.allocatedBytesSince(before, "scale+meters/")).isZero();
		assertThat(after.cpuNanosSince(before, "scale/")).isNotNegative();
	}

	private static ConcurrentLoadComparison.Round round(long calls, long cpuNanosPerCall) {
		return new ConcurrentLoadComparison.Round("", calls, 0, 1.0, new org.HdrHistogram.Histogram(3),
				calls * cpuNanosPerCall, calls * 1000);
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
			.containsExactly(LoadStacks.Variant.TRACING, LoadStacks.Variant.BREAKERS);
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LoopbackLoadHarness.Options.parse("--variants", "breakers,scale"))
			.withMessage("--variants: 'scale' (expected: breakers, tracing, discovery, traced-breakers or meters)");
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
