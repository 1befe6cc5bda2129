package dev.grpcscale.benchmarks;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Case b in CPU time and bytes per call, which a busy machine does not inflate as it does JMH's wall-clock
 * averages: the benchmarks of {@link ExecuteWithEnhancementsBenchmark}, on its own state (set up once and
 * shared by the threads, as JMH's {@code Scope.Benchmark}), run in interleaved rounds (the order rotating each
 * round), each round every variant making the same number of calls on each of 1 and then 4 threads; each
 * thread reads its own CPU time ({@code getCurrentThreadCpuTime}) and allocation counter around its calls
 * ({@link CpuRounds}).
 * Printed per variant: the median over rounds of CPU ns and bytes per call, with the range; then the median
 * and range of the per-round ratios against resilience4j's {@code decorateCallable} (goal b: at most 1.5), with
 * and without meters (the timer path, and for reference the observation path), and of the metered against the
 * unmetered manager. Usage:
 * {@code ExecuteWithEnhancementsCpu [rounds] [calls per thread per round]} (default 9 and 200,000).
 */
public final class ExecuteWithEnhancementsCpu {

	/** The thread counts every variant is measured on. */
	static final int[] THREADS_MEASURED = { 1, 4 };

	/** Every benchmark method of {@link ExecuteWithEnhancementsBenchmark}. */
	static final List<String> ALL = List.of("resilience4jDecorateCallable", "executeWithEnhancements",
			"executeWithEnhancementsSystemClock", "resilience4jTimeBasedWindow",
			"resilience4jDecorateCallableWithMeters", "executeWithEnhancementsWithMeters",
			"executeWithEnhancementsObserved", "operationTimerAlone", "operationObservationAlone",
			"observationWithMetersAlone", "observationWithTimerOnlyAlone", "bareCall");

	/** The variants goal b compares: the manager without and with meters, each against its resilience4j baseline. */
	static final List<String> GOALS = List.of("resilience4jDecorateCallable", "executeWithEnhancements",
			"resilience4jDecorateCallableWithMeters", "executeWithEnhancementsWithMeters");

	private ExecuteWithEnhancementsCpu() {
	}

	/**
	 * Runs the measurement.
	 * @param args rounds and calls per thread per round, optional
	 * @throws Exception if a variant fails
	 */
	public static void main(String[] args) throws Exception {
		int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : 9;
		int calls = (args.length > 1) ? Integer.parseInt(args[1]) : 200_000;
		System.out.printf("case b, CPU and allocation per call, %s, %d rounds x %d calls per thread, Java %s, %d CPUs%n",
				Instant.now(), rounds, calls, System.getProperty("java.version"),
				Runtime.getRuntime().availableProcessors());
		CpuSamples samples = measure(ALL, rounds, calls);
		for (int threads : THREADS_MEASURED) {
			report(threads, samples);
		}
	}

	/**
	 * Measures the named variants of {@link ExecuteWithEnhancementsBenchmark} on 1 and then 4 threads, each
	 * after one unrecorded round.
	 * @param variants the benchmark methods to run, by name ({@link #ALL} or {@link #GOALS})
	 * @param rounds interleaved rounds, the order rotating each round
	 * @param calls calls per thread per round
	 * @return every round's CPU ns and bytes per call of every variant
	 * @throws Exception if a variant fails
	 */
	static CpuSamples measure(List<String> variants, int rounds, int calls) throws Exception {
		ExecuteWithEnhancementsBenchmark state = new ExecuteWithEnhancementsBenchmark();
		state.setUp();
		Map<String, CpuRounds.Batch> byName = new LinkedHashMap<>();
		for (String name : variants) {
			byName.put(name, calls(variant(state, name)));
		}
		CpuSamples samples;
		try {
			samples = CpuRounds.measure(byName, THREADS_MEASURED, rounds, calls, "case-b-");
		}
		finally {
			state.close();
		}
		state.checkRecorded(variants);
		return samples;
	}

	/** Calls the variant, summing what it returns: one loop for every variant, as before the rounds were shared. */
	private static CpuRounds.Batch calls(Callable<Long> variant) {
		return (calls) -> {
			long sum = 0;
			for (int i = 0; i < calls; i++) {
				sum += variant.call();
			}
			return sum;
		};
	}

	private static Callable<Long> variant(ExecuteWithEnhancementsBenchmark state, String name) {
		return switch (name) {
			case "resilience4jDecorateCallable" -> state::resilience4jDecorateCallable;
			case "executeWithEnhancements" -> state::executeWithEnhancements;
			case "executeWithEnhancementsSystemClock" -> state::executeWithEnhancementsSystemClock;
			case "resilience4jTimeBasedWindow" -> state::resilience4jTimeBasedWindow;
			case "resilience4jDecorateCallableWithMeters" -> state::resilience4jDecorateCallableWithMeters;
			case "executeWithEnhancementsWithMeters" -> state::executeWithEnhancementsWithMeters;
			case "executeWithEnhancementsObserved" -> state::executeWithEnhancementsObserved;
			case "operationTimerAlone" -> state::operationTimerAlone;
			case "operationObservationAlone" -> state::operationObservationAlone;
			case "observationWithMetersAlone" -> state::observationWithMetersAlone;
			case "observationWithTimerOnlyAlone" -> state::observationWithTimerOnlyAlone;
			case "bareCall" -> state::bareCall;
			default -> throw new IllegalArgumentException("variant: " + name + " (expected: one of " + ALL + ")");
		};
	}

	private static void report(int threads, CpuSamples all) {
		Map<String, List<double[]>> samples = all.byThreads().get(threads);
		System.out.printf("%d thread(s):%n", threads);
		samples.forEach((name, list) -> System.out.printf("  %-40s %7.1f ns CPU/call (%s) %7.1f B/call (%s)%n", name,
				CpuSamples.median(list, 0), CpuSamples.range(list, 0), CpuSamples.median(list, 1),
				CpuSamples.range(list, 1)));
		ratio(all, threads, "executeWithEnhancements", "resilience4jDecorateCallable", "goal b, no meters");
		ratio(all, threads, "executeWithEnhancementsWithMeters", "resilience4jDecorateCallableWithMeters",
				"goal b, meters bound");
		ratio(all, threads, "executeWithEnhancementsSystemClock", "resilience4jDecorateCallable",
				"system clock instead of the coarse one");
		ratio(all, threads, "resilience4jTimeBasedWindow", "resilience4jDecorateCallable",
				"bare resilience4j, time-based window");
		ratio(all, threads, "executeWithEnhancementsObserved", "resilience4jDecorateCallableWithMeters",
				"goal b, meters bound, observation path");
		ratio(all, threads, "executeWithEnhancementsWithMeters", "executeWithEnhancements", "meters / no meters");
	}

	private static void ratio(CpuSamples samples, int threads, String scale, String base, String what) {
		System.out.printf("  ratio %s / %s (%s): %s%n", scale, base, what, samples.ratio(threads, scale, base));
	}

}
