package dev.grpcscale.benchmarks;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.LongAdder;

/**
 * Case b in CPU time and bytes per call, which a busy machine does not inflate as it does JMH's wall-clock
 * averages: the benchmarks of {@link ExecuteWithEnhancementsBenchmark}, on its own state (set up once and
 * shared by the threads, as JMH's {@code Scope.Benchmark}), run in interleaved rounds (the order rotating each
 * round), each round every variant making the same number of calls on each of 1 and then 4 threads; each
 * thread reads its own CPU time ({@code getCurrentThreadCpuTime}) and allocation counter around its calls.
 * Printed per variant: the median over rounds of CPU ns and bytes per call, with the range; then the median
 * and range of the per-round ratios against resilience4j's {@code decorateCallable} (goal b: at most 1.5), with
 * and without meters (the timer path, and for reference the observation path), and of the metered against the
 * unmetered manager. Usage:
 * {@code ExecuteWithEnhancementsCpu [rounds] [calls per thread per round]} (default 9 and 200,000).
 */
public final class ExecuteWithEnhancementsCpu {

	private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory
		.getThreadMXBean();

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
		Samples samples = measure(ALL, rounds, calls);
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
	static Samples measure(List<String> variants, int rounds, int calls) throws Exception {
		ExecuteWithEnhancementsBenchmark state = new ExecuteWithEnhancementsBenchmark();
		state.setUp();
		Map<String, Callable<Long>> byName = new LinkedHashMap<>();
		for (String name : variants) {
			byName.put(name, variant(state, name));
		}
		Map<Integer, Map<String, List<double[]>>> byThreads = new LinkedHashMap<>();
		try {
			for (int threads : THREADS_MEASURED) {
				for (Callable<Long> variant : byName.values()) {
					run(variant, threads, calls); // warm-up, not recorded
				}
				Map<String, List<double[]>> samples = new LinkedHashMap<>();
				variants.forEach((name) -> samples.put(name, new ArrayList<>()));
				for (int round = 0; round < rounds; round++) {
					for (int i = 0; i < variants.size(); i++) {
						String name = variants.get((round + i) % variants.size());
						samples.get(name).add(run(byName.get(name), threads, calls));
					}
				}
				byThreads.put(threads, samples);
			}
		}
		finally {
			state.tearDown();
		}
		return new Samples(byThreads);
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

	/**
	 * Every round's CPU ns and bytes per call, by thread count and variant.
	 * @param byThreads for each thread count, each variant's rounds as {@code {cpu ns, bytes, sink}}
	 */
	record Samples(Map<Integer, Map<String, List<double[]>>> byThreads) {

		/** The per-round ratio of CPU per call, {@code scale / base}, on {@code threads} threads. */
		Spread ratio(int threads, String scale, String base) {
			List<double[]> measured = this.byThreads.get(threads).get(scale);
			List<double[]> baseline = this.byThreads.get(threads).get(base);
			List<Double> ratios = new ArrayList<>();
			for (int round = 0; round < measured.size(); round++) {
				ratios.add(measured.get(round)[0] / baseline.get(round)[0]);
			}
			return Spread.of(ratios);
		}

		/** Median CPU ns and bytes per call of every variant on {@code threads} threads, one line. */
		String figures(int threads) {
			StringBuilder line = new StringBuilder();
			this.byThreads.get(threads)
				.forEach((name, list) -> line.append(String.format(Locale.ROOT, "%s %.1f ns CPU %.0f B; ", name,
						median(list, 0), median(list, 1))));
			return line.toString().trim();
		}

	}

	private static void report(int threads, Samples all) {
		Map<String, List<double[]>> samples = all.byThreads().get(threads);
		System.out.printf("%d thread(s):%n", threads);
		samples.forEach((name, list) -> System.out.printf("  %-40s %7.1f ns CPU/call (%s) %7.1f B/call (%s)%n", name,
				median(list, 0), range(list, 0), median(list, 1), range(list, 1)));
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

	private static void ratio(Samples samples, int threads, String scale, String base, String what) {
		System.out.printf("  ratio %s / %s (%s): %s%n", scale, base, what, samples.ratio(threads, scale, base));
	}

	/** CPU ns and bytes per call of {@code calls} calls on each of {@code threads} threads started together. */
	private static double[] run(Callable<Long> variant, int threads, int calls) throws Exception {
		LongAdder cpu = new LongAdder();
		LongAdder bytes = new LongAdder();
		LongAdder sink = new LongAdder();
		CyclicBarrier start = new CyclicBarrier(threads);
		List<Thread> workers = new ArrayList<>();
		List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
		for (int t = 0; t < threads; t++) {
			Thread worker = new Thread(() -> {
				try {
					start.await();
					long id = Thread.currentThread().getId();
					long allocated = THREADS.getThreadAllocatedBytes(id);
					long time = THREADS.getCurrentThreadCpuTime();
					long sum = 0;
					for (int i = 0; i < calls; i++) {
						sum += variant.call();
					}
					cpu.add(THREADS.getCurrentThreadCpuTime() - time);
					bytes.add(THREADS.getThreadAllocatedBytes(id) - allocated);
					sink.add(sum);
				}
				catch (Throwable ex) {
					failures.add(ex);
				}
			}, "case-b-" + t);
			worker.start();
			workers.add(worker);
		}
		for (Thread worker : workers) {
			worker.join();
		}
		if (!failures.isEmpty()) {
			throw new IllegalStateException("a variant failed", failures.get(0));
		}
		long total = (long) threads * calls;
		return new double[] { (double) cpu.sum() / total, (double) bytes.sum() / total, sink.sum() };
	}

	private static double median(List<double[]> samples, int index) {
		double[] values = samples.stream().mapToDouble((sample) -> sample[index]).sorted().toArray();
		return values[values.length / 2];
	}

	private static String range(List<double[]> samples, int index) {
		double[] values = samples.stream().mapToDouble((sample) -> sample[index]).sorted().toArray();
		return String.format("%.2f-%.2f", values[0], values[values.length - 1]);
	}

}
