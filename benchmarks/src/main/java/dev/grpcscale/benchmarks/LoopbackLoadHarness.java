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

import io.grpc.testing.protobuf.SimpleRequest;
import org.HdrHistogram.Histogram;

import dev.grpcscale.benchmarks.LoadStacks.BareStack;
import dev.grpcscale.benchmarks.LoadStacks.ScaleStack;
import dev.grpcscale.benchmarks.LoadStacks.Stack;
import dev.grpcscale.benchmarks.LoadStacks.Variant;
import dev.grpcscale.circuitbreaker.CircuitBreakerLoadBalancerProvider;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;

/**
 * Closed-loop unary load over Netty on loopback: {@code callers} threads each send one
 * {@code SimpleService/UnaryRpc} at a time, for a fixed duration, against {@code servers} servers, and
 * record every call's latency in an HdrHistogram. Two stacks are measured in the same process, in
 * alternating order over {@code rounds} rounds, each round warming up before it records:
 * <ul>
 * <li><b>bare</b>: plain grpc-java, a {@code static:///} target resolving once to the servers' addresses,
 * {@code round_robin}, no interceptor anywhere;</li>
 * <li><b>scale</b>: the grpc-scale client stack: {@code discovery:///} over an
 * {@link InMemoryServiceRegistry}, {@link GrpcCircuitBreakers#configure} (service breaker interceptor and
 * the {@code grpc_scale_round_robin} policy with per-instance breakers), and Micrometer's gRPC
 * observation interceptors on client and servers with an OpenTelemetry-bridged tracer sampling
 * {@code sampling} of traces into a counting exporter ({@link TracingStack}), and the
 * {@link HealthCheckingServiceDiscovery} between registry and channel, probing every server each
 * {@value LoadStacks#HEALTH_INTERVAL_MILLIS} ms (closer than the 30 s default, so that probes run throughout the
 * measurement).</li>
 * </ul>
 * Every server, bare or not, serves {@code grpc.health.v1.Health} too.
 * {@code --variants breakers,tracing,discovery,meters} adds parts of the scale stack, each on servers of its own
 * (see {@link Variant}), to split its cost in the same run; every round rotates which stack goes first and
 * prints each stack's ratios to bare in that round. Before the first round every stack runs one unrecorded
 * warm-up, so the JIT's work on the code all stacks share does not fall on whichever stack goes first.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.grpcscale.benchmarks.LoopbackLoadHarness \
 *     --servers 3 --callers 8 --warmup 5s --duration 15s --rounds 2 --payload 100 --sampling 0.1
 * </pre>
 *
 * <p>Every server, channel and caller thread is shut down before {@link #run} returns.
 */
public final class LoopbackLoadHarness {

	private LoopbackLoadHarness() {
	}

	/**
	 * Runs the comparison with the given arguments and prints both stacks' figures and the ratios.
	 * @param args see {@link Options#parse}
	 * @throws Exception if a server cannot start
	 */
	public static void main(String[] args) throws Exception {
		Options options = Options.parse(args);
		System.out.println("Loopback load harness: " + options);
		Comparison comparison = run(options);
		System.out.println(comparison.bare().summary());
		System.out.println(comparison.scale().summary());
		for (Measurement variant : comparison.variants()) {
			System.out.println(variant.summary());
		}
		for (CaseResult result : comparison.results()) {
			System.out.println(result.line());
		}
	}

	/**
	 * Measures both stacks as the options say.
	 * @param options the options
	 * @return both stacks' merged figures
	 * @throws Exception if a server cannot start
	 */
	public static Comparison run(Options options) throws Exception {
		CircuitBreakerLoadBalancerProvider.registerDefault();
		DiscoveryNameResolverProvider.registerDefault();
		StaticAddressNameResolverProvider.registerDefault();
		SimpleRequest request = SimpleRequest.newBuilder().setRequestMessage("x".repeat(options.payload())).build();
		List<Stack> stacks = new ArrayList<>();
		try {
			BareStack bare = new BareStack(options);
			stacks.add(bare);
			ScaleStack scale = new ScaleStack(options, Variant.SCALE);
			stacks.add(scale);
			for (Variant variant : options.variants()) {
				stacks.add(new ScaleStack(options, variant));
			}
			Map<Stack, Measurement> totals = new LinkedHashMap<>();
			for (Stack stack : stacks) {
				totals.put(stack, new Measurement(stack.name(), 0, 0, 0, new Histogram(3)));
			}
			// one unrecorded pass over every stack first: the JIT compiles the code the stacks share (Netty,
			// grpc-java) during the first stack's warm-up, which would otherwise count against that stack
			for (Stack stack : stacks) {
				drive(stack, request, options.callers(), options.warmup());
			}
			for (int round = 0; round < options.rounds(); round++) {
				// rotate which stack goes first, so no stack always runs on a freshly warmed or a tired machine
				List<Stack> order = new ArrayList<>(stacks);
				Collections.rotate(order, -(round % stacks.size()));
				Map<Stack, Measurement> measuredThisRound = new LinkedHashMap<>();
				for (Stack stack : order) {
					drive(stack, request, options.callers(), options.warmup());
					Measurement measured = drive(stack, request, options.callers(), options.duration());
					System.out.println("  round " + (round + 1) + ": " + measured.summary());
					measuredThisRound.put(stack, measured);
					totals.merge(stack, measured, Measurement::plus);
				}
				Measurement bareRound = measuredThisRound.get(bare);
				for (Stack stack : stacks) {
					if (stack != bare) {
						Measurement other = measuredThisRound.get(stack);
						System.out.println(String.format(Locale.ROOT,
								"  round %d: %s/bare throughput %.3f, p50 %.3f, p99 %.3f", round + 1, stack.name(),
								other.throughput() / bareRound.throughput(),
								other.percentileMicros(50) / bareRound.percentileMicros(50),
								other.percentileMicros(99) / bareRound.percentileMicros(99)));
					}
				}
			}
			System.out.println("  scale stack: breakers " + scale.breakers.states() + ", spans exported "
					+ scale.exportedSpans() + ", health probes " + scale.healthProbes.get() + " (all SERVING: "
					+ scale.allServing() + ")");
			List<Measurement> others = new ArrayList<>();
			for (int i = 2; i < stacks.size(); i++) {
				others.add(totals.get(stacks.get(i)));
			}
			return new Comparison(totals.get(bare), totals.get(scale), List.copyOf(others));
		}
		finally {
			for (Stack stack : stacks) {
				stack.close();
			}
		}
	}

	/** Runs {@code callers} closed loops on a stack for {@code duration}. */
	static Measurement drive(Stack stack, SimpleRequest request, int callers, Duration duration) throws Exception {
		AtomicInteger threads = new AtomicInteger();
		ExecutorService executor = Executors.newFixedThreadPool(callers, (task) -> {
			Thread thread = new Thread(task, "grpc-scale-bench-caller-" + threads.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		});
		try {
			LoadStacks.Driven driven = LoadStacks.drive(stack, request, callers, duration, executor, null);
			return new Measurement(stack.name(), driven.calls(), driven.errors(), driven.nanos() / 1e9,
					driven.histogram());
		}
		finally {
			executor.shutdownNow();
			executor.awaitTermination(10, TimeUnit.SECONDS);
		}
	}

	/**
	 * One stack's figures.
	 * @param stack the stack's name
	 * @param calls calls that succeeded
	 * @param errors calls that failed
	 * @param seconds measured wall time (summed over rounds)
	 * @param histogram every call's latency in nanoseconds
	 */
	public record Measurement(String stack, long calls, long errors, double seconds, Histogram histogram) {

		/** Successful calls per second. */
		public double throughput() {
			return (this.seconds > 0) ? this.calls / this.seconds : 0;
		}

		/** A latency percentile in microseconds. */
		public double percentileMicros(double percentile) {
			return this.histogram.getValueAtPercentile(percentile) / 1000.0;
		}

		Measurement plus(Measurement other) {
			Histogram merged = this.histogram.copy();
			merged.add(other.histogram);
			return new Measurement(this.stack, this.calls + other.calls, this.errors + other.errors,
					this.seconds + other.seconds, merged);
		}

		/** One line: calls/s, p50, p99, p99.9, max, errors. */
		public String summary() {
			return String.format(Locale.ROOT,
					"%s: %.0f calls/s (%d calls in %.1f s), p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us, errors %d",
					this.stack, throughput(), this.calls, this.seconds, percentileMicros(50), percentileMicros(99),
					percentileMicros(99.9), this.histogram.getMaxValue() / 1000.0, this.errors);
		}

	}

	/**
	 * Both stacks' figures.
	 * @param bare the bare grpc-java stack
	 * @param scale the grpc-scale stack
	 * @param variants the parts of the grpc-scale stack measured besides ({@code --variants})
	 */
	public record Comparison(Measurement bare, Measurement scale, List<Measurement> variants) {

		/** Case a's two goals: throughput >= 95 % of bare, p99 <= 110 % of bare. */
		public List<CaseResult> results() {
			String raw = String.format(Locale.ROOT, "bare %.0f/s p50 %.1f us p99 %.1f us; scale %.0f/s p50 %.1f us p99 %.1f us; errors %d/%d",
					this.bare.throughput(), this.bare.percentileMicros(50), this.bare.percentileMicros(99),
					this.scale.throughput(), this.scale.percentileMicros(50), this.scale.percentileMicros(99),
					this.bare.errors(), this.scale.errors());
			return List.of(
					CaseResult.atLeast("a.unary-throughput", this.scale.throughput(), this.bare.throughput(),
							"scale/bare calls per second", 0.95, raw),
					CaseResult.atMost("a.unary-p99", this.scale.percentileMicros(99), this.bare.percentileMicros(99),
							"scale/bare p99 latency", 1.10, raw));
		}

	}

	/**
	 * The harness's arguments.
	 * @param servers servers behind each stack
	 * @param callers concurrent closed-loop callers
	 * @param warmup unrecorded load before each measured period
	 * @param duration each measured period
	 * @param rounds rounds; each measures both stacks, alternating which goes first
	 * @param payload request and response message size in characters
	 * @param sampling tracing sampling probability of the scale stack
	 * @param variants parts of the grpc-scale stack to measure besides bare and scale
	 */
	public record Options(int servers, int callers, Duration warmup, Duration duration, int rounds, int payload,
			double sampling, List<Variant> variants) {

		/**
		 * Options measuring bare and scale only.
		 * @param servers servers behind each stack
		 * @param callers concurrent closed-loop callers
		 * @param warmup unrecorded load before each measured period
		 * @param duration each measured period
		 * @param rounds rounds
		 * @param payload message size in characters
		 * @param sampling tracing sampling probability
		 */
		public Options(int servers, int callers, Duration warmup, Duration duration, int rounds, int payload,
				double sampling) {
			this(servers, callers, warmup, duration, rounds, payload, sampling, List.of());
		}

		/** Defaults: 3 servers, 8 callers, 5 s warm-up, 15 s measured, 2 rounds, 100 B, sampling 0.1, no variants. */
		public static Options defaults() {
			return new Options(3, 8, Duration.ofSeconds(5), Duration.ofSeconds(15), 2, 100, 0.1);
		}

		/**
		 * Parses {@code --servers N --callers N --warmup 5s --duration 15s --rounds N --payload N --sampling P
		 * --variants breakers,tracing,discovery} over the defaults; durations take {@code ms} or {@code s}.
		 * @param args the arguments
		 * @return the options
		 * @throws IllegalArgumentException on an unknown or bad argument
		 */
		public static Options parse(String... args) {
			Options options = defaults();
			for (int i = 0; i < args.length; i += 2) {
				if (i + 1 >= args.length) {
					throw new IllegalArgumentException(args[i] + ": missing value");
				}
				String value = args[i + 1];
				options = switch (args[i]) {
					case "--servers" -> options.with(positive("--servers", value), options.callers, options.warmup,
							options.duration, options.rounds, options.payload, options.sampling, options.variants);
					case "--callers" -> options.with(options.servers, positive("--callers", value), options.warmup,
							options.duration, options.rounds, options.payload, options.sampling, options.variants);
					case "--warmup" -> options.with(options.servers, options.callers, duration("--warmup", value),
							options.duration, options.rounds, options.payload, options.sampling, options.variants);
					case "--duration" -> options.with(options.servers, options.callers, options.warmup,
							duration("--duration", value), options.rounds, options.payload, options.sampling, options.variants);
					case "--rounds" -> options.with(options.servers, options.callers, options.warmup, options.duration,
							positive("--rounds", value), options.payload, options.sampling, options.variants);
					case "--payload" -> options.with(options.servers, options.callers, options.warmup, options.duration,
							options.rounds, positive("--payload", value), options.sampling, options.variants);
					case "--sampling" -> options.with(options.servers, options.callers, options.warmup,
							options.duration, options.rounds, options.payload, probability(value), options.variants);
					case "--variants" -> options.with(options.servers, options.callers, options.warmup,
							options.duration, options.rounds, options.payload, options.sampling, variants(value));
					default -> throw new IllegalArgumentException(args[i] + ": unknown argument (expected: "
							+ "--servers, --callers, --warmup, --duration, --rounds, --payload, --sampling, --variants)");
				};
			}
			return options;
		}

		private Options with(int servers, int callers, Duration warmup, Duration duration, int rounds, int payload,
				double sampling, List<Variant> variants) {
			return new Options(servers, callers, warmup, duration, rounds, payload, sampling, variants);
		}

		private static List<Variant> variants(String value) {
			List<Variant> variants = new ArrayList<>();
			for (String label : value.split(",")) {
				Variant variant = Variant.of(label.trim());
				if (!variants.contains(variant)) {
					variants.add(variant);
				}
			}
			return List.copyOf(variants);
		}

		private static int positive(String name, String value) {
			int parsed;
			try {
				parsed = Integer.parseInt(value);
			}
			catch (NumberFormatException ex) {
				parsed = 0;
			}
			if (parsed < 1) {
				throw new IllegalArgumentException(name + ": '" + value + "' (expected: an integer >= 1)");
			}
			return parsed;
		}

		static Duration duration(String name, String value) {
			try {
				if (value.endsWith("ms")) {
					return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
				}
				if (value.endsWith("s")) {
					return Duration.ofMillis(Math.round(Double.parseDouble(value.substring(0, value.length() - 1)) * 1000));
				}
			}
			catch (NumberFormatException ex) {
				// reported below
			}
			throw new IllegalArgumentException(name + ": '" + value + "' (expected: a duration such as 500ms or 10s)");
		}

		private static double probability(String value) {
			try {
				double parsed = Double.parseDouble(value);
				if (parsed >= 0 && parsed <= 1) {
					return parsed;
				}
			}
			catch (NumberFormatException ex) {
				// reported below
			}
			throw new IllegalArgumentException("--sampling: '" + value + "' (expected: 0 to 1)");
		}

		@Override
		public String toString() {
			return "servers=" + this.servers + " callers=" + this.callers + " warmup=" + this.warmup.toMillis()
					+ "ms duration=" + this.duration.toMillis() + "ms rounds=" + this.rounds + " payload="
					+ this.payload + " sampling=" + this.sampling
					+ (this.variants.isEmpty() ? "" : " variants=" + this.variants.stream().map(Variant::label).toList());
		}

	}

}
