package dev.grpcscale.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;

import io.grpc.testing.protobuf.SimpleRequest;
import org.HdrHistogram.Histogram;

import dev.grpcscale.benchmarks.LoadStacks.BareStack;
import dev.grpcscale.benchmarks.LoadStacks.ScaleStack;
import dev.grpcscale.benchmarks.LoadStacks.Stack;
import dev.grpcscale.benchmarks.LoadStacks.Variant;
import dev.grpcscale.circuitbreaker.CircuitBreakerLoadBalancerProvider;
import dev.grpcscale.discovery.DiscoveryNameResolverProvider;

/**
 * Case a, measured so that it holds from run to run: the closed-loop unary load of
 * {@link LoopbackLoadHarness} on four stacks in one process, all four driven <em>at the same time</em> in many
 * short rounds, each stack on threads of its own ({@link StackThreads}: callers, event loops, handler
 * executors), so that each stack's CPU time and heap bytes per call are told apart by thread, and every ratio
 * compares stacks that ran through the same moments of the machine. Measuring stacks one after the other,
 * even seconds apart, did not hold here: the host takes this virtual machine's cores away for seconds at a
 * time without the guest seeing steal time, so one process alone got 0.8 to 2 cores from one period to the
 * next and its threads' CPU time per call moved 3x with it (docs/benchmarks.md, "Case a, how it is
 * measured"). Every comparison is the median of per-round ratios with its quartiles and range.
 * <ul>
 * <li><b>bare</b>: plain grpc-java ({@code static:///}, {@code round_robin}, no interceptor);</li>
 * <li><b>boot</b>: the same channel and servers with Boot's gRPC observability and no grpc-scale part:
 * Micrometer's observation interceptors on client and servers, Micrometer Tracing on the OpenTelemetry
 * bridge at the same sampling ({@link Variant#TRACING});</li>
 * <li><b>scale</b>: grpc-scale's client stack with that same observability ({@link Variant#SCALE}:
 * {@code discovery:///} over health checking, breakers, the observation interceptors);</li>
 * <li><b>scale+meters</b>: the scale stack with a Prometheus meter registry bound as Actuator and grpc-scale's
 * starter bind it ({@link Variant#METERS}: the observations' meter handler, grpc-scale's own binders), scraped
 * once per round.</li>
 * </ul>
 * scale against boot is what grpc-scale adds (the goal: within 5 % of CPU per call and of throughput);
 * scale against bare is what a user pays in all; scale+meters against scale is what meters cost.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.grpcscale.benchmarks.ConcurrentLoadComparison [rounds] [seconds]
 * </pre>
 */
public final class ConcurrentLoadComparison {

	static final String BARE = "bare";

	static final String BOOT = "boot";

	static final String SCALE = "scale";

	static final String METERS = "scale+meters";

	private ConcurrentLoadComparison() {
	}

	/**
	 * Runs the comparison and prints every round and the verdicts.
	 * @param args {@code [rounds] [measured seconds per round]}, default 15 and 2
	 * @throws Exception if a server cannot start
	 */
	public static void main(String[] args) throws Exception {
		int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : 15;
		double seconds = (args.length > 1) ? Double.parseDouble(args[1]) : 2;
		Options options = Options.quick().withRounds(rounds, Duration.ofMillis(Math.round(seconds * 1000)));
		Result result = run(options);
		result.print();
		result.results().forEach((line) -> System.out.println(line.line()));
	}

	/**
	 * Measures the four stacks as the options say.
	 * @param options the options
	 * @return every round of every stack
	 * @throws Exception if a server cannot start
	 */
	public static Result run(Options options) throws Exception {
		CircuitBreakerLoadBalancerProvider.registerDefault();
		DiscoveryNameResolverProvider.registerDefault();
		StaticAddressNameResolverProvider.registerDefault();
		LoopbackLoadHarness.Options load = new LoopbackLoadHarness.Options(options.servers(), options.callers(),
				options.warmup(), options.duration(), options.rounds(), options.payload(), options.sampling());
		SimpleRequest request = SimpleRequest.newBuilder().setRequestMessage("x".repeat(options.payload())).build();
		CostMeter cost = new CostMeter();
		Map<String, StackThreads> threads = new LinkedHashMap<>();
		Map<String, Stack> stacks = new LinkedHashMap<>();
		try {
			for (String name : List.of(BARE, BOOT, SCALE, METERS)) {
				threads.put(name, new StackThreads(name, options.callers()));
			}
			stacks.put(BARE, new BareStack(load, threads.get(BARE)));
			stacks.put(BOOT, new ScaleStack(load, Variant.TRACING, threads.get(BOOT)));
			stacks.put(SCALE, new ScaleStack(load, Variant.SCALE, threads.get(SCALE)));
			stacks.put(METERS, new ScaleStack(load, Variant.METERS, threads.get(METERS)));
			List<Stack> all = List.copyOf(stacks.values());
			List<ExecutorService> pools = threads.values().stream().map((stack) -> stack.callers).toList();
			LoadStacks.driveTogether(all, pools, request, options.callers(), options.initialWarmup(), null);
			Map<String, List<Round>> rounds = new LinkedHashMap<>();
			stacks.keySet().forEach((name) -> rounds.put(name, new ArrayList<>()));
			List<Period> periods = new ArrayList<>();
			long scrapedBytes = 0;
			for (int round = 0; round < options.rounds(); round++) {
				LoadStacks.driveTogether(all, pools, request, options.callers(), options.warmup(), null);
				List<LoadStacks.Driven> measured = LoadStacks.driveTogether(all, pools, request, options.callers(),
						options.duration(), cost);
				StringBuilder line = new StringBuilder("  round " + (round + 1) + ":");
				long stacksCpu = 0;
				int index = 0;
				for (Map.Entry<String, Stack> stack : stacks.entrySet()) {
					Round one = Round.of(stack.getKey(), measured.get(index++), threads.get(stack.getKey()).prefix());
					rounds.get(stack.getKey()).add(one);
					stacksCpu += one.cpuNanos();
					line.append(String.format(Locale.ROOT, " %s %.0f/s %.1f us %.0f B %.2f cores;", one.stack(),
							one.throughput(), one.cpuMicrosPerCall(), one.bytesPerCall(), one.cores()));
					if (stack.getValue() instanceof ScaleStack scale) {
						scrapedBytes = Math.max(scrapedBytes, scale.scrape().length());
					}
				}
				Period period = Period.of(measured, stacksCpu);
				periods.add(period);
				System.out.println(line.append(' ').append(period));
			}
			ScaleStack scale = (ScaleStack) stacks.get(SCALE);
			List<String> missing = ((ScaleStack) stacks.get(METERS)).missingScaleMeters();
			System.out.println("  scale stack: breakers " + scale.breakers.states() + ", spans exported "
					+ scale.exportedSpans() + ", health probes " + scale.healthProbes.get() + " (all SERVING: "
					+ scale.allServing() + "); scale+meters: Prometheus scrape " + scrapedBytes + " characters, "
					+ (missing.isEmpty() ? "grpc-scale's meters all there" : "grpc-scale's meters MISSING " + missing));
			return new Result(options, rounds, periods);
		}
		finally {
			for (Stack stack : stacks.values()) {
				stack.close();
			}
			for (StackThreads stack : threads.values()) {
				stack.close();
			}
		}
	}

	/**
	 * What the whole process did in one round's measured period, beside the stacks.
	 * @param seconds wall time
	 * @param processCpuNanos the process's CPU time, GC and JIT threads included
	 * @param otherCpuNanos CPU time of the Java threads that belong to no stack (span export, health probes,
	 * the breakers' coarse clock, Prometheus scrapes)
	 * @param gcMillis time the garbage collectors reported
	 */
	public record Period(double seconds, long processCpuNanos, long otherCpuNanos, long gcMillis) {

		static Period of(List<LoadStacks.Driven> stacks, long stacksCpuNanos) {
			CostMeter.Snapshot before = stacks.get(0).before();
			CostMeter.Snapshot after = stacks.get(0).after();
			long nanos = stacks.stream().mapToLong(LoadStacks.Driven::nanos).max().orElseThrow();
			return new Period(nanos / 1e9, after.cpuNanosSince(before),
					after.threadCpuNanosSince(before) - stacksCpuNanos, after.gcMillisSince(before));
		}

		@Override
		public String toString() {
			return String.format(Locale.ROOT, "process %.2f cores, other threads %.0f ms, GC %d ms",
					this.processCpuNanos / 1e9 / this.seconds, this.otherCpuNanos / 1e6, this.gcMillis);
		}

	}

	/**
	 * One stack's measured period in one round.
	 * @param stack the stack's name
	 * @param calls calls that succeeded
	 * @param errors calls that failed
	 * @param seconds wall time
	 * @param histogram every call's latency in nanoseconds
	 * @param cpuNanos CPU time of the stack's own threads over the period
	 * @param allocatedBytes heap bytes the stack's own threads allocated over the period
	 */
	public record Round(String stack, long calls, long errors, double seconds, Histogram histogram, long cpuNanos,
			long allocatedBytes) {

		static Round of(String stack, LoadStacks.Driven driven, String threadPrefix) {
			CostMeter.Snapshot before = driven.before();
			CostMeter.Snapshot after = driven.after();
			return new Round(stack, driven.calls(), driven.errors(), driven.nanos() / 1e9, driven.histogram(),
					after.cpuNanosSince(before, threadPrefix), after.allocatedBytesSince(before, threadPrefix));
		}

		/** Cores the stack's threads used on average: their CPU time over the wall time. */
		public double cores() {
			return (this.seconds > 0) ? this.cpuNanos / 1e9 / this.seconds : 0;
		}

		/** Successful calls per second. */
		public double throughput() {
			return (this.seconds > 0) ? this.calls / this.seconds : 0;
		}

		/** CPU time of the stack's threads per call, microseconds. */
		public double cpuMicrosPerCall() {
			return (this.calls > 0) ? this.cpuNanos / 1e3 / this.calls : Double.NaN;
		}

		/** Heap bytes the stack's threads allocated per call. */
		public double bytesPerCall() {
			return (this.calls > 0) ? (double) this.allocatedBytes / this.calls : Double.NaN;
		}

		/** A latency percentile in microseconds. */
		public double percentileMicros(double percentile) {
			return this.histogram.getValueAtPercentile(percentile) / 1000.0;
		}

		Round plus(Round other) {
			Histogram merged = this.histogram.copy();
			merged.add(other.histogram);
			return new Round(this.stack, this.calls + other.calls, this.errors + other.errors,
					this.seconds + other.seconds, merged, this.cpuNanos + other.cpuNanos,
					this.allocatedBytes + other.allocatedBytes);
		}

		/** One line: calls/s, CPU and bytes per call, p50, p99, p99.9, errors. */
		public String summary() {
			return String.format(Locale.ROOT,
					"%s: %.0f calls/s (%d calls in %.1f s), CPU %.1f us/call (%.2f cores), %.0f B/call, p50 %.1f us, p99 %.1f us, p99.9 %.1f us, errors %d",
					this.stack, throughput(), this.calls, this.seconds, cpuMicrosPerCall(), cores(), bytesPerCall(),
					percentileMicros(50), percentileMicros(99), percentileMicros(99.9), this.errors);
		}

	}

	/**
	 * Every round of every stack.
	 * @param options what was run
	 * @param rounds each stack's rounds, by stack name, in the order measured
	 * @param periods what the whole process did in each round
	 */
	public record Result(Options options, Map<String, List<Round>> rounds, List<Period> periods) {

		/** A stack's rounds merged: totals, and latencies over all its rounds. */
		public Round merged(String stack) {
			return this.rounds.get(stack).stream().reduce(Round::plus).orElseThrow();
		}

		/** The per-round ratio {@code metric(stack) / metric(baseline)}, as a median with its spread. */
		public Spread ratio(String stack, String baseline, ToDoubleFunction<Round> metric) {
			List<Round> measured = this.rounds.get(stack);
			List<Round> base = this.rounds.get(baseline);
			List<Double> ratios = new ArrayList<>();
			for (int i = 0; i < measured.size(); i++) {
				ratios.add(metric.applyAsDouble(measured.get(i)) / metric.applyAsDouble(base.get(i)));
			}
			return Spread.of(ratios);
		}

		/**
		 * Case a's goals, on grpc-scale's own addition (scale against boot, the same observability): the
		 * median per-round CPU time per call within 105 %, and throughput at least 95 %.
		 */
		public List<CaseResult> results() {
			Spread cpu = ratio(SCALE, BOOT, Round::cpuMicrosPerCall);
			Spread throughput = ratio(SCALE, BOOT, Round::throughput);
			String raw = figures(BOOT) + "; " + figures(SCALE);
			return List.of(
					CaseResult.atMost("a.addition.cpu-per-call", cpu.median(), 1,
							"scale/boot CPU per call of each stack's threads, " + cpu, 1.05, raw),
					CaseResult.atLeast("a.addition.throughput", throughput.median(), 1,
							"scale/boot calls per second, " + throughput, 0.95, raw));
		}

		/** Figures reported without a goal: the whole against bare, meters against none, latency ratios. */
		public List<String> reported() {
			List<String> lines = new ArrayList<>();
			lines.add(comparison("a.addition (scale/boot)", SCALE, BOOT, false));
			lines.add(comparison("a.whole (scale/bare)", SCALE, BARE, true));
			lines.add(comparison("a.boot-observability (boot/bare)", BOOT, BARE, true));
			lines.add(comparison("a.meters (scale+meters/scale)", METERS, SCALE, true));
			lines.add(String.format(Locale.ROOT,
					"a.process: %.2f cores on average; threads of no stack (span export, health probes, clocks) %.1f %% of the stacks' CPU; GC %d ms in %.0f s",
					this.periods.stream().mapToDouble((period) -> period.processCpuNanos() / 1e9).sum()
							/ this.periods.stream().mapToDouble(Period::seconds).sum(),
					100.0 * this.periods.stream().mapToLong(Period::otherCpuNanos).sum()
							/ this.rounds.values().stream().flatMap(List::stream).mapToLong(Round::cpuNanos).sum(),
					this.periods.stream().mapToLong(Period::gcMillis).sum(),
					this.periods.stream().mapToDouble(Period::seconds).sum()));
			return lines;
		}

		private String comparison(String name, String stack, String baseline, boolean withThroughputAndCpu) {
			StringBuilder line = new StringBuilder(name + ":");
			if (withThroughputAndCpu) {
				line.append(" throughput ").append(ratio(stack, baseline, Round::throughput)).append(";");
				line.append(" CPU/call ").append(ratio(stack, baseline, Round::cpuMicrosPerCall)).append(";");
			}
			line.append(" bytes/call ").append(ratio(stack, baseline, Round::bytesPerCall)).append(";");
			line.append(" p50 ").append(ratio(stack, baseline, (round) -> round.percentileMicros(50))).append(";");
			line.append(" p99 ").append(ratio(stack, baseline, (round) -> round.percentileMicros(99)));
			return line.toString();
		}

		private String figures(String stack) {
			Round merged = merged(stack);
			return String.format(Locale.ROOT, "%s %.0f/s CPU %.1f us/call %.0f B/call p99 %.1f us", stack,
					merged.throughput(), merged.cpuMicrosPerCall(), merged.bytesPerCall(), merged.percentileMicros(99));
		}

		/** Latency percentiles of every stack over all its rounds, microseconds, for the chart. */
		public SvgChart percentileChart() {
			List<String> percentiles = List.of("p50", "p90", "p99", "p99.9");
			double[] at = { 50, 90, 99, 99.9 };
			List<SvgChart.Series> series = new ArrayList<>();
			for (String stack : this.rounds.keySet()) {
				Round merged = merged(stack);
				List<Double> values = new ArrayList<>();
				for (double percentile : at) {
					values.add(merged.percentileMicros(percentile));
				}
				series.add(new SvgChart.Series(stack, values));
			}
			return new SvgChart("Unary call latency, stacks side by side (" + this.options.rounds() + " rounds x "
					+ this.options.duration().toMillis() / 1000.0 + " s, " + this.options.callers()
					+ " callers per stack)", "us, logarithmic", percentiles, series, List.of(), true);
		}

		/** Every stack's merged figures, then the per-round ratios. */
		public void print() {
			for (String stack : this.rounds.keySet()) {
				System.out.println(merged(stack).summary());
			}
			reported().forEach(System.out::println);
		}

	}

	/**
	 * The comparison's arguments.
	 * @param servers servers behind each stack
	 * @param callers concurrent closed-loop callers on each stack
	 * @param initialWarmup unrecorded load on every stack before the first round
	 * @param warmup unrecorded load before each measured period
	 * @param duration each measured period
	 * @param rounds rounds, each measuring every stack at the same time
	 * @param payload message size in characters
	 * @param sampling tracing sampling probability of the observed stacks
	 */
	public record Options(int servers, int callers, Duration initialWarmup, Duration warmup, Duration duration,
			int rounds, int payload, double sampling) {

		/** Checks the arguments. */
		public Options {
			if (rounds < 7) {
				throw new IllegalArgumentException("rounds: " + rounds + " (expected: >= 7)");
			}
		}

		/** 15 rounds of 0.25 s warm-up and 2 s measured, 4 callers per stack, after 5 s: about 40 s. */
		public static Options quick() {
			return new Options(3, 4, Duration.ofSeconds(5), Duration.ofMillis(250), Duration.ofSeconds(2), 15, 100, 0.1);
		}

		/** 25 rounds of 0.5 s warm-up and 3 s measured, 4 callers per stack, after 10 s: about 100 s. */
		public static Options full() {
			return new Options(3, 4, Duration.ofSeconds(10), Duration.ofMillis(500), Duration.ofSeconds(3), 25, 100,
					0.1);
		}

		Options withRounds(int rounds, Duration duration) {
			return new Options(this.servers, this.callers, this.initialWarmup, this.warmup, duration, rounds,
					this.payload, this.sampling);
		}

		@Override
		public String toString() {
			return "servers=" + this.servers + " callers=" + this.callers + " initialWarmup="
					+ this.initialWarmup.toMillis() + "ms warmup=" + this.warmup.toMillis() + "ms duration="
					+ this.duration.toMillis() + "ms rounds=" + this.rounds + " payload=" + this.payload + " sampling="
					+ this.sampling;
		}

	}

}
