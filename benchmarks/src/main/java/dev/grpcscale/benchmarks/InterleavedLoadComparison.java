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
 * {@link LoopbackLoadHarness} on four stacks in one process, in many short rounds, each round measuring every
 * stack once (the order reversed every other round, so each pair of stacks alternates which goes first), and
 * each stack's round measured in throughput, latency, process CPU time per call and heap bytes allocated per
 * call ({@link CostMeter}). CPU and bytes per call count work, not waiting, so they hardly move with the
 * machine's load; throughput and latency do, which is why every comparison is the median of per-round ratios
 * (both stacks of a ratio measured seconds apart) with its quartiles and range.
 * <ul>
 * <li><b>bare</b>: plain grpc-java ({@code static:///}, {@code round_robin}, no interceptor);</li>
 * <li><b>boot</b>: the same channel and servers with Boot's gRPC observability and no grpc-scale part:
 * Micrometer's observation interceptors on client and servers, Micrometer Tracing on the OpenTelemetry
 * bridge at the same sampling ({@link Variant#TRACING});</li>
 * <li><b>scale</b>: grpc-scale's client stack with that same observability ({@link Variant#SCALE}:
 * {@code discovery:///} over health checking, breakers, the observation interceptors);</li>
 * <li><b>scale+meters</b>: the scale stack with a Prometheus meter registry bound as Actuator binds it
 * ({@link Variant#METERS}), scraped once per round.</li>
 * </ul>
 * scale against boot is what grpc-scale adds (the goal: within 5 % of CPU per call and of throughput);
 * scale against bare is what a user pays in all; scale+meters against scale is what meters cost.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.grpcscale.benchmarks.InterleavedLoadComparison [rounds] [seconds]
 * </pre>
 */
public final class InterleavedLoadComparison {

	static final String BARE = "bare";

	static final String BOOT = "boot";

	static final String SCALE = "scale";

	static final String METERS = "scale+meters";

	private InterleavedLoadComparison() {
	}

	/**
	 * Runs the comparison and prints every round and the verdicts.
	 * @param args {@code [rounds] [measured seconds per stack and round]}, default 7 and 2
	 * @throws Exception if a server cannot start
	 */
	public static void main(String[] args) throws Exception {
		int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : 7;
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
		AtomicInteger threads = new AtomicInteger();
		// one pool for the whole run: a caller thread that ended mid-run would take its allocation count along
		ExecutorService callers = Executors.newFixedThreadPool(options.callers(), (task) -> {
			Thread thread = new Thread(task, "grpc-scale-bench-caller-" + threads.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		});
		CostMeter cost = new CostMeter();
		Map<String, Stack> stacks = new LinkedHashMap<>();
		try {
			stacks.put(BARE, new BareStack(load));
			stacks.put(BOOT, new ScaleStack(load, Variant.TRACING));
			stacks.put(SCALE, new ScaleStack(load, Variant.SCALE));
			stacks.put(METERS, new ScaleStack(load, Variant.METERS));
			for (Stack stack : stacks.values()) {
				drive(stack, request, options.callers(), options.initialWarmup(), callers, cost);
			}
			Map<String, List<Round>> rounds = new LinkedHashMap<>();
			stacks.keySet().forEach((name) -> rounds.put(name, new ArrayList<>()));
			long scrapedBytes = 0;
			for (int round = 0; round < options.rounds(); round++) {
				List<String> order = new ArrayList<>(stacks.keySet());
				if (round % 2 == 1) {
					Collections.reverse(order);
				}
				StringBuilder line = new StringBuilder("  round " + (round + 1) + ":");
				for (String name : order) {
					Stack stack = stacks.get(name);
					drive(stack, request, options.callers(), options.warmup(), callers, cost);
					Round measured = drive(stack, request, options.callers(), options.duration(), callers, cost);
					if (stack instanceof ScaleStack scale) {
						scrapedBytes = Math.max(scrapedBytes, scale.scrape().length());
					}
					rounds.get(name).add(measured.named(name));
					line.append(String.format(Locale.ROOT, " %s %.0f/s CPU %.1f us (threads %.1f) %.0f B;", name,
							measured.throughput(), measured.cpuMicrosPerCall(), measured.threadCpuMicrosPerCall(),
							measured.bytesPerCall()));
				}
				System.out.println(line);
			}
			ScaleStack scale = (ScaleStack) stacks.get(SCALE);
			System.out.println("  scale stack: breakers " + scale.breakers.states() + ", spans exported "
					+ scale.exportedSpans() + ", health probes " + scale.healthProbes.get() + " (all SERVING: "
					+ scale.allServing() + "); scale+meters: Prometheus scrape " + scrapedBytes + " characters");
			return new Result(options, rounds);
		}
		finally {
			for (Stack stack : stacks.values()) {
				stack.close();
			}
			callers.shutdownNow();
			callers.awaitTermination(10, TimeUnit.SECONDS);
		}
	}

	/** Runs {@code callers} closed loops on a stack for {@code duration}, on the run's caller threads. */
	private static Round drive(Stack stack, SimpleRequest request, int callers, Duration duration,
			ExecutorService pool, CostMeter cost) throws Exception {
		LoadStacks.Driven driven = LoadStacks.drive(stack, request, callers, duration, pool, cost);
		CostMeter.Snapshot before = driven.before();
		CostMeter.Snapshot after = driven.after();
		return new Round("", driven.calls(), driven.errors(), driven.nanos() / 1e9, driven.histogram(),
				after.cpuNanosSince(before), after.threadCpuNanosSince(before), after.allocatedBytesSince(before));
	}

	/**
	 * One stack's measured period in one round.
	 * @param stack the stack's name
	 * @param calls calls that succeeded
	 * @param errors calls that failed
	 * @param seconds wall time
	 * @param histogram every call's latency in nanoseconds
	 * @param cpuNanos process CPU time over the period
	 * @param threadCpuNanos CPU time of the Java threads over the period (no JIT compiler or GC threads)
	 * @param allocatedBytes heap bytes allocated over the period, all threads
	 */
	public record Round(String stack, long calls, long errors, double seconds, Histogram histogram, long cpuNanos,
			long threadCpuNanos, long allocatedBytes) {

		Round named(String name) {
			return new Round(name, this.calls, this.errors, this.seconds, this.histogram, this.cpuNanos,
					this.threadCpuNanos, this.allocatedBytes);
		}

		/** Successful calls per second. */
		public double throughput() {
			return (this.seconds > 0) ? this.calls / this.seconds : 0;
		}

		/** Process CPU time per call, microseconds. */
		public double cpuMicrosPerCall() {
			return (this.calls > 0) ? this.cpuNanos / 1e3 / this.calls : Double.NaN;
		}

		/** Java threads' CPU time per call, microseconds. */
		public double threadCpuMicrosPerCall() {
			return (this.calls > 0) ? this.threadCpuNanos / 1e3 / this.calls : Double.NaN;
		}

		/** Heap bytes allocated per call, all threads. */
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
					this.threadCpuNanos + other.threadCpuNanos, this.allocatedBytes + other.allocatedBytes);
		}

		/** One line: calls/s, CPU and bytes per call, p50, p99, p99.9, errors. */
		public String summary() {
			return String.format(Locale.ROOT,
					"%s: %.0f calls/s (%d calls in %.1f s), CPU %.1f us/call (Java threads %.1f), %.0f B/call, p50 %.1f us, p99 %.1f us, p99.9 %.1f us, errors %d",
					this.stack, throughput(), this.calls, this.seconds, cpuMicrosPerCall(), threadCpuMicrosPerCall(),
					bytesPerCall(),
					percentileMicros(50), percentileMicros(99), percentileMicros(99.9), this.errors);
		}

	}

	/**
	 * Every round of every stack.
	 * @param options what was run
	 * @param rounds each stack's rounds, by stack name, in the order measured
	 */
	public record Result(Options options, Map<String, List<Round>> rounds) {

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
			Spread cpu = ratio(SCALE, BOOT, Round::threadCpuMicrosPerCall);
			Spread throughput = ratio(SCALE, BOOT, Round::throughput);
			String raw = figures(BOOT) + "; " + figures(SCALE);
			return List.of(
					CaseResult.atMost("a.addition.cpu-per-call", cpu.median(), 1,
							"scale/boot Java threads' CPU per call, " + cpu, 1.05, raw),
					CaseResult.atLeast("a.addition.throughput", throughput.median(), 1,
							"scale/boot calls per second, " + throughput, 0.95, raw));
		}

		/** Figures reported without a goal: the whole against bare, meters against none, latency ratios. */
		public List<String> reported() {
			List<String> lines = new ArrayList<>();
			lines.add(comparison("a.addition (scale/boot)", SCALE, BOOT, false));
			lines.add(comparison("a.whole (scale/bare)", SCALE, BARE, true));
			lines.add(comparison("a.boot-observability (boot/bare)", BOOT, BARE, false));
			lines.add(comparison("a.meters (scale+meters/scale)", METERS, SCALE, true));
			return lines;
		}

		private String comparison(String name, String stack, String baseline, boolean withThroughputAndCpu) {
			StringBuilder line = new StringBuilder(name + ":");
			if (withThroughputAndCpu) {
				line.append(" throughput ").append(ratio(stack, baseline, Round::throughput)).append(";");
				line.append(" threads' CPU/call ").append(ratio(stack, baseline, Round::threadCpuMicrosPerCall))
					.append(";");
			}
			line.append(" process CPU/call ").append(ratio(stack, baseline, Round::cpuMicrosPerCall)).append(";");
			line.append(" bytes/call ").append(ratio(stack, baseline, Round::bytesPerCall)).append(";");
			line.append(" p50 ").append(ratio(stack, baseline, (round) -> round.percentileMicros(50))).append(";");
			line.append(" p99 ").append(ratio(stack, baseline, (round) -> round.percentileMicros(99)));
			return line.toString();
		}

		private String figures(String stack) {
			Round merged = merged(stack);
			return String.format(Locale.ROOT, "%s %.0f/s CPU %.1f us/call (threads %.1f) %.0f B/call p99 %.1f us",
					stack, merged.throughput(), merged.cpuMicrosPerCall(), merged.threadCpuMicrosPerCall(),
					merged.bytesPerCall(), merged.percentileMicros(99));
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
			return new SvgChart("Unary call latency, same run (" + this.options.rounds() + " interleaved rounds x "
					+ this.options.duration().toMillis() / 1000.0 + " s per stack, " + this.options.callers()
					+ " callers)", "us, logarithmic", percentiles, series, List.of(), true);
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
	 * @param callers concurrent closed-loop callers
	 * @param initialWarmup unrecorded load on every stack before the first round
	 * @param warmup unrecorded load before each measured period
	 * @param duration each measured period
	 * @param rounds rounds, each measuring every stack once
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

		/** 7 rounds of 0.5 s warm-up and 2 s measured per stack, after 5 s per stack: about 90 s. */
		public static Options quick() {
			return new Options(3, 8, Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofSeconds(2), 7, 100, 0.1);
		}

		/** 11 rounds of 1 s warm-up and 3 s measured per stack, after 8 s per stack: about 210 s. */
		public static Options full() {
			return new Options(3, 8, Duration.ofSeconds(8), Duration.ofSeconds(1), Duration.ofSeconds(3), 11, 100, 0.1);
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
