package dev.grpcscale.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import dev.grpcscale.test.etcd.EtcdCluster;

/**
 * Runs every case (a to e) beside its baseline and prints one line per goal:
 * {@code case: ratio=... goal=... PASS|FAIL | raw numbers}, then a last line {@code goals: N passed, M failed}.
 * It exits 1 when a goal failed and 0 when all passed, so a script can check the result; it is not part of
 * the build, where a missed goal on a shared machine would fail tests on noise.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.grpcscale.benchmarks.GoalReport quick [chartDir]  # about 5 minutes
 * java -cp benchmarks/target/benchmarks.jar dev.grpcscale.benchmarks.GoalReport full [chartDir]   # etcd cache too
 * </pre>
 *
 * <p>{@code quick}: case a in 15 rounds of 2 s, its four stacks side by side ({@link ConcurrentLoadComparison.Options#quick});
 * JMH 2 x 1 s warm-up, 3 x 1 s measured, one fork; cases b and c in 11 interleaved rounds of CPU time (case c
 * on the memory and on the etcd cache, at 10 and 10,000 instances); 1,000 propagation samples per side; 5
 * graceful and 3 crash failovers on etcd with tuned raft timings and again with etcd's defaults. {@code full}:
 * case a in 25 rounds of 3 s; JMH 3 x 1 s, 5 x 2 s; cases b and c in 15 rounds; 10 and 5 failovers on each
 * etcd; and JMH of the etcd cache beside case c and the etcd heap of case d, which register 10,000 instances
 * in etcd again. Both draw the latency and failover charts as SVG into {@code chartDir};
 * full mode defaults it to {@code docs} (run from the repository root), so every full run redraws the
 * charts of {@code docs/benchmarks.md}.
 */
public final class GoalReport {

	/** The latency chart's file name in the chart directory. */
	static final String LATENCY_CHART = "benchmarks-latency.svg";

	/** The failover chart's file name in the chart directory. */
	static final String FAILOVER_CHART = "benchmarks-failover.svg";

	/** How long the report waits for another JMH run on the machine to end. */
	static final int JMH_LOCK_WAIT_MINUTES = 10;

	/**
	 * Pause before each memory propagation sample: registrations come from an idle thread, as an
	 * application's do, not from one the scheduler preempts wherever it stands (docs/benchmarks.md, case e).
	 */
	static final Duration PROPAGATION_PAUSE = Duration.ofMillis(1);

	/** Propagation samples per side, so that a p99 is ten samples, not one or two. */
	static final int PROPAGATION_SAMPLES = 1000;

	private GoalReport() {
	}

	/**
	 * Runs the report.
	 * @param args {@code quick} (default) or {@code full}, then optionally the directory to draw the charts in
	 *     (default: {@code docs} in full mode when it exists; none in quick mode)
	 * @throws Exception if a server or etcd cannot start
	 */
	public static void main(String[] args) throws Exception {
		boolean full = args.length > 0 && "full".equals(args[0]);
		if (args.length > 0 && !full && !"quick".equals(args[0])) {
			throw new IllegalArgumentException(args[0] + ": unknown mode (expected: quick or full)");
		}
		long started = System.nanoTime();
		List<CaseResult> results = new ArrayList<>();
		System.out.println("== grpc-scale goal report (" + (full ? "full" : "quick") + "), "
				+ Runtime.getRuntime().availableProcessors() + " CPUs, Java " + System.getProperty("java.version"));

		ConcurrentLoadComparison.Options load = full ? ConcurrentLoadComparison.Options.full()
				: ConcurrentLoadComparison.Options.quick();
		System.out.println("-- a. unary RPC, loopback load, the stacks side by side: " + load);
		ConcurrentLoadComparison.Result comparison = ConcurrentLoadComparison.run(load);
		comparison.print();
		results.addAll(print(comparison.results()));

		System.out.println("-- b. executeWithEnhancements, JMH (wall clock, for reference)");
		Map<String, double[]> jmhScores = scores(jmh(ExecuteWithEnhancementsBenchmark.class.getName(), full));
		System.out.println("b.jmh: " + figures(jmhScores));
		System.out.println("-- b. executeWithEnhancements, CPU time per call, interleaved rounds on 1 and 4 threads");
		results.addAll(print(caseB(ExecuteWithEnhancementsCpu.measure(ExecuteWithEnhancementsCpu.GOALS,
				full ? 15 : 11, full ? 200_000 : 100_000))));

		System.out.println("-- c. discovery cache reads, JMH (wall clock, for reference)");
		Map<String, double[]> memoryJmh = scores(jmh(DiscoveryCacheBenchmark.class.getName(), full));
		System.out.println("c.jmh.memory: " + figures(memoryJmh));
		Map<String, double[]> etcdJmh = Map.of();
		if (full) {
			etcdJmh = scores(jmh(EtcdDiscoveryCacheBenchmark.class.getName(), full));
			System.out.println("c.jmh.etcd: " + figures(etcdJmh));
		}
		System.out.println("-- c. discovery cache reads, CPU time per read, interleaved rounds at 10 and 10,000 instances");
		int cacheRounds = full ? 15 : 11;
		int cacheReads = full ? 2_000_000 : 1_000_000;
		results.addAll(print(caseC("memory", DiscoveryCacheCpu.memory(cacheRounds, cacheReads), memoryJmh, true)));
		results.addAll(print(caseC("etcd", DiscoveryCacheCpu.etcd(cacheRounds, cacheReads), etcdJmh, false)));

		System.out.println("-- d. heap per instance, JOL");
		results.add(print(RegistryFootprint.memory(10_000)));
		if (full) {
			results.add(print(RegistryFootprint.etcd(10_000)));
		}

		System.out.println("-- e. propagation and failover");
		PropagationMeasurement.Paired memory = PropagationMeasurement.memory(PROPAGATION_SAMPLES, 20,
				PROPAGATION_PAUSE.toNanos());
		System.out.println(memory.bare());
		System.out.println(memory.scale());
		PropagationMeasurement.Paired memoryBackToBack = PropagationMeasurement.memory(PROPAGATION_SAMPLES, 20);
		System.out.println(memoryBackToBack.bare());
		System.out.println(memoryBackToBack.scale());
		PropagationMeasurement.Paired etcdPropagation;
		LeaderFailoverMeasurement.Failovers tuned;
		try (EtcdCluster etcd = EtcdCluster.start(3)) {
			etcdPropagation = PropagationMeasurement.interleavedEtcd(etcd.clientEndpoints(), PROPAGATION_SAMPLES, 20);
			System.out.println(etcdPropagation.bare());
			System.out.println(etcdPropagation.scale());
			tuned = LeaderFailoverMeasurement.measure("raft heartbeat " + EtcdCluster.TEST_HEARTBEAT_INTERVAL.toMillis()
					+ " ms, election " + EtcdCluster.TEST_ELECTION_TIMEOUT.toMillis() + " ms", etcd.clientEndpoints(),
					full ? 10 : 5, full ? 5 : 3);
			System.out.println(tuned);
		}
		LeaderFailoverMeasurement.Failovers defaults;
		try (EtcdCluster etcd = EtcdCluster.start(3, LeaderFailoverMeasurement.ETCD_DEFAULT_HEARTBEAT,
				LeaderFailoverMeasurement.ETCD_DEFAULT_ELECTION_TIMEOUT)) {
			defaults = LeaderFailoverMeasurement.measure("etcd's default raft timings, heartbeat 100 ms, election 1000 ms",
					etcd.clientEndpoints(), full ? 10 : 5, full ? 5 : 3);
			System.out.println(defaults);
		}
		results.addAll(print(caseE(memory, memoryBackToBack, etcdPropagation, List.of(tuned, defaults))));

		Path charts = chartDirectory(full, args);
		if (charts != null) {
			comparison.percentileChart().writeTo(charts.resolve(LATENCY_CHART));
			failoverChart(List.of(tuned, defaults)).writeTo(charts.resolve(FAILOVER_CHART));
			System.out.println("charts written: " + charts.resolve(LATENCY_CHART) + ", " + charts.resolve(FAILOVER_CHART));
		}
		else {
			System.out.println("charts: not drawn (quick mode; pass a directory as the second argument to draw them)");
		}

		System.out.printf(Locale.ROOT, "== summary (%.0f s; shared 2-core machine: ratios, not absolute times, are the figures)%n",
				(System.nanoTime() - started) / 1e9);
		comparison.reported().forEach(System.out::println);
		for (CaseResult result : results) {
			System.out.println(result.line());
		}
		System.out.println(verdict(results));
		if (exitStatus(results) != 0) {
			System.exit(exitStatus(results));
		}
	}

	/** The report's last line: how many goals passed and failed. */
	static String verdict(List<CaseResult> results) {
		long failed = results.stream().filter((result) -> !result.pass()).count();
		return "goals: " + (results.size() - failed) + " passed, " + failed + " failed";
	}

	/** 1 when a goal failed, else 0. */
	static int exitStatus(List<CaseResult> results) {
		return results.stream().allMatch(CaseResult::pass) ? 0 : 1;
	}

	/**
	 * Runs JMH; while another JMH run on this machine holds its lock ({@code /tmp/jmh.lock}), waits for it
	 * (up to {@value #JMH_LOCK_WAIT_MINUTES} minutes) rather than measuring beside it.
	 */
	private static Collection<RunResult> jmh(String include, boolean full) throws RunnerException, InterruptedException {
		long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(JMH_LOCK_WAIT_MINUTES);
		while (true) {
			try {
				return runJmh(include, full);
			}
			catch (RunnerException ex) {
				if (!String.valueOf(ex.getMessage()).contains("JMH lock") || System.nanoTime() > deadline) {
					throw ex;
				}
				System.out.println("   another JMH run holds /tmp/jmh.lock; waiting for it");
				TimeUnit.SECONDS.sleep(10);
			}
		}
	}

	private static Collection<RunResult> runJmh(String include, boolean full) throws RunnerException {
		ChainedOptionsBuilder options = new OptionsBuilder().include("^" + include.replace(".", "\\.") + "\\.")
			.forks(1)
			.warmupIterations(full ? 3 : 2)
			.warmupTime(TimeValue.seconds(1))
			.measurementIterations(full ? 5 : 3)
			.measurementTime(TimeValue.seconds(full ? 2 : 1))
			.addProfiler(GCProfiler.class);
		return new Runner(options.build()).run();
	}

	/** Score and B/op of every benchmark, by {@code method} or {@code method@param}. */
	static Map<String, double[]> scores(Collection<RunResult> results) {
		Map<String, double[]> scores = new LinkedHashMap<>();
		for (RunResult result : results) {
			String label = result.getParams().getBenchmark();
			label = label.substring(label.lastIndexOf('.') + 1);
			String instances = result.getParams().getParam("instances");
			if (instances != null) {
				label += "@" + instances;
			}
			Result<?> alloc = result.getSecondaryResults().get("gc.alloc.rate.norm");
			scores.put(label, new double[] { result.getPrimaryResult().getScore(),
					(alloc != null) ? alloc.getScore() : Double.NaN });
		}
		return scores;
	}

	/**
	 * Goal b: the manager at most 1.5 x resilience4j's {@code decorateCallable} in CPU time per call, without
	 * and with meters bound, on 1 and on 4 threads: the median of the per-round ratios.
	 */
	static List<CaseResult> caseB(CpuSamples samples) {
		List<CaseResult> cases = new ArrayList<>();
		for (int threads : ExecuteWithEnhancementsCpu.THREADS_MEASURED) {
			String suffix = (threads == 1) ? ".1-thread" : "." + threads + "-threads";
			Spread plain = samples.ratio(threads, "executeWithEnhancements", "resilience4jDecorateCallable");
			Spread metered = samples.ratio(threads, "executeWithEnhancementsWithMeters",
					"resilience4jDecorateCallableWithMeters");
			cases.add(CaseResult.atMost("b.executeWithEnhancements" + suffix, plain.median(), 1,
					"executeWithEnhancements / resilience4j decorateCallable, CPU per call, " + plain, 1.5,
					samples.figures(threads)));
			cases.add(CaseResult.atMost("b.executeWithEnhancements.meters" + suffix, metered.median(), 1,
					"with meters, timer path (Actuator, no tracer) / resilience4j decorateCallable with its tagged meters, CPU per call, "
							+ metered,
					1.5, "see the line above"));
		}
		return cases;
	}

	private static String figures(Map<String, double[]> scores) {
		StringBuilder raw = new StringBuilder();
		scores.forEach((name, score) -> raw.append(String.format(Locale.ROOT, "%s %.1f ns/op %.0f B/op; ", name,
				score[0], score[1])));
		return raw.toString().trim();
	}

	/**
	 * Goal c: a read of 10,000 instances from the cache costs at most 200 ns of CPU time, judged on the median
	 * over rounds of the CPU time per read; the ratio, for information, is the median of the per-round ratios
	 * against the baseline: the map lookup at 10,000 (memory) or the same read at 10 instances (etcd).
	 * @param backend {@code memory} or {@code etcd}
	 * @param cpu the rounds of {@link DiscoveryCacheCpu}
	 * @param jmh JMH's scores of the same reads, printed beside for reference (none when not run)
	 * @param withBaseline whether the baseline is the map lookup ({@code bareMapGet}) rather than 10 instances
	 * @return one line per read method
	 */
	static List<CaseResult> caseC(String backend, CpuSamples cpu, Map<String, double[]> jmh, boolean withBaseline) {
		String raw = "CPU per read: " + cpu.figures(1)
				+ (jmh.isEmpty() ? "" : " JMH wall clock, for reference: " + figures(jmh));
		List<CaseResult> cases = new ArrayList<>();
		for (String method : List.of("getInstances", "discoverServices")) {
			String measured = method + "@10000";
			Spread nanos = cpu.cpu(1, measured);
			Spread ratio = cpu.ratio(1, measured, withBaseline ? "bareMapGet@10000" : method + "@10");
			cases.add(new CaseResult("c." + measured + "." + backend, ratio.median(),
					(withBaseline ? method + " / ConcurrentHashMap.get at 10,000" : method + " at 10,000 / at 10")
							+ ", CPU per read, " + ratio,
					"<= 200 ns/op at 10,000", nanos.median() <= 200,
					measured + " " + String.format(Locale.ROOT, "%.1f", nanos.median()) + " ns CPU per read, " + nanos
							+ "; " + raw));
		}
		return cases;
	}

	static List<CaseResult> caseE(PropagationMeasurement.Paired memory, PropagationMeasurement.Paired memoryBackToBack,
			PropagationMeasurement.Paired etcd,
			List<LeaderFailoverMeasurement.Failovers> failovers) {
		PropagationMeasurement.Latencies bare = etcd.bare();
		PropagationMeasurement.Latencies scale = etcd.scale();
		List<CaseResult> cases = new ArrayList<>();
		cases.add(CaseResult.boundedBy("e.propagation.memory.p99", memory.scale().resolverMillis(99), 5,
				"p99 / 5 ms bound", 5, "p99 <= 5 ms", "register -> resolver, registrations 1 ms apart; "
						+ memory.scale().summary() + "; interleaved watch callback alone " + memory.bare().summary()
						+ "; back to back (not judged: a busy thread's preemptions) " + memoryBackToBack.scale().summary()
						+ ", watch callback alone " + memoryBackToBack.bare().summary()));
		cases.add(CaseResult.boundedBy("e.propagation.etcd3.p99", scale.resolverMillis(99), bare.resolverMillis(99),
				"grpc-scale register -> resolver p99 / bare jetcd put -> watch p99, interleaved", 100, "p99 <= 100 ms",
				"grpc-scale " + scale.summary() + "; bare jetcd put -> watch "
						+ String.format(Locale.ROOT, "p50 %.3f / p99 %.3f / max %.3f ms (n=%d)", bare.watchMillis(50),
								bare.watchMillis(99), bare.watchMillis(100), bare.toWatchNanos().length)));
		for (LeaderFailoverMeasurement.Failovers one : failovers) {
			String timings = one.label().startsWith("etcd's default") ? "etcd-defaults" : "tuned";
			double crashBound = one.crashBound().toMillis();
			cases.add(CaseResult.boundedBy("e.failover.graceful.max." + timings, one.gracefulMaxMillis(), 500,
					"max / 500 ms bound", 500, "<= 500 ms", one.toString()));
			cases.add(CaseResult.boundedBy("e.failover.crash.max." + timings, one.crashMaxMillis(), crashBound,
					"max / (granted lease TTL + 500 ms expiry loop + 200 ms)", crashBound,
					"<= " + (long) crashBound + " ms (TTL " + one.grantedTtl().toSeconds() + " s + 700 ms)",
					one.toString()));
		}
		return cases;
	}

	/** Crash and graceful failover times per round, with each crash bound. */
	static SvgChart failoverChart(List<LeaderFailoverMeasurement.Failovers> failovers) {
		int rounds = 0;
		for (LeaderFailoverMeasurement.Failovers one : failovers) {
			rounds = Math.max(rounds, Math.max(one.crashNanos().size(), one.gracefulNanos().size()));
		}
		List<String> categories = new ArrayList<>();
		for (int i = 1; i <= rounds; i++) {
			categories.add("round " + i);
		}
		List<SvgChart.Series> series = new ArrayList<>();
		List<SvgChart.Line> lines = new ArrayList<>();
		for (LeaderFailoverMeasurement.Failovers one : failovers) {
			String name = one.label().startsWith("etcd's default") ? "etcd default raft" : "tuned raft";
			series.add(new SvgChart.Series("crash, " + name + " (TTL " + one.grantedTtl().toSeconds() + " s)",
					padded(one.crashMillis(), rounds)));
			series.add(new SvgChart.Series("graceful, " + name, padded(one.gracefulMillis(), rounds)));
			lines.add(new SvgChart.Line("crash bound, " + name, one.crashBound().toMillis()));
		}
		return new SvgChart("etcd leader failover per round, 3 nodes on a 3-member etcd", "ms", categories, series,
				lines);
	}

	private static List<Double> padded(List<Double> values, int size) {
		List<Double> padded = new ArrayList<>(values);
		while (padded.size() < size) {
			padded.add(Double.NaN);
		}
		return padded;
	}

	/** {@code docs/} in full mode when it exists, else the second argument, else none. */
	static @Nullable Path chartDirectory(boolean full, String[] args) {
		if (args.length > 1) {
			return Path.of(args[1]);
		}
		Path docs = Path.of("docs");
		return (full && Files.isDirectory(docs)) ? docs : null;
	}

	private static CaseResult print(CaseResult result) {
		System.out.println(result.line());
		return result;
	}

	private static List<CaseResult> print(List<CaseResult> results) {
		results.forEach(GoalReport::print);
		return results;
	}

}
