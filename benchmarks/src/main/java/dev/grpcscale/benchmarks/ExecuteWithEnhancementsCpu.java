package dev.grpcscale.benchmarks;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
		ExecuteWithEnhancementsBenchmark state = new ExecuteWithEnhancementsBenchmark();
		state.setUp();
		Map<String, Callable<Long>> variants = new LinkedHashMap<>();
		variants.put("resilience4jDecorateCallable", state::resilience4jDecorateCallable);
		variants.put("executeWithEnhancements", state::executeWithEnhancements);
		variants.put("executeWithEnhancementsSystemClock", state::executeWithEnhancementsSystemClock);
		variants.put("resilience4jTimeBasedWindow", state::resilience4jTimeBasedWindow);
		variants.put("resilience4jDecorateCallableWithMeters", state::resilience4jDecorateCallableWithMeters);
		variants.put("executeWithEnhancementsWithMeters", state::executeWithEnhancementsWithMeters);
		variants.put("executeWithEnhancementsObserved", state::executeWithEnhancementsObserved);
		variants.put("operationTimerAlone", state::operationTimerAlone);
		variants.put("operationObservationAlone", state::operationObservationAlone);
		variants.put("observationWithMetersAlone", state::observationWithMetersAlone);
		variants.put("observationWithTimerOnlyAlone", state::observationWithTimerOnlyAlone);
		variants.put("bareCall", state::bareCall);
		System.out.printf("case b, CPU and allocation per call, %s, %d rounds x %d calls per thread, Java %s, %d CPUs%n",
				Instant.now(), rounds, calls, System.getProperty("java.version"),
				Runtime.getRuntime().availableProcessors());
		try {
			for (int threads : new int[] { 1, 4 }) {
				for (Callable<Long> variant : variants.values()) {
					run(variant, threads, calls); // warm-up, not recorded
				}
				Map<String, List<double[]>> samples = new LinkedHashMap<>();
				variants.keySet().forEach((name) -> samples.put(name, new ArrayList<>()));
				List<String> names = new ArrayList<>(variants.keySet());
				for (int round = 0; round < rounds; round++) {
					for (int i = 0; i < names.size(); i++) {
						String name = names.get((round + i) % names.size());
						samples.get(name).add(run(variants.get(name), threads, calls));
					}
				}
				report(threads, samples, rounds);
			}
		}
		finally {
			state.tearDown();
		}
	}

	private static void report(int threads, Map<String, List<double[]>> samples, int rounds) {
		System.out.printf("%d thread(s):%n", threads);
		samples.forEach((name, list) -> System.out.printf("  %-40s %7.1f ns CPU/call (%s) %7.1f B/call (%s)%n", name,
				median(list, 0), range(list, 0), median(list, 1), range(list, 1)));
		ratio(samples, rounds, "executeWithEnhancements", "resilience4jDecorateCallable", "goal b, no meters");
		ratio(samples, rounds, "executeWithEnhancementsWithMeters", "resilience4jDecorateCallableWithMeters",
				"goal b, meters bound");
		ratio(samples, rounds, "executeWithEnhancementsSystemClock", "resilience4jDecorateCallable",
				"system clock instead of the coarse one");
		ratio(samples, rounds, "resilience4jTimeBasedWindow", "resilience4jDecorateCallable",
				"bare resilience4j, time-based window");
		ratio(samples, rounds, "executeWithEnhancementsObserved", "resilience4jDecorateCallableWithMeters",
				"goal b, meters bound, observation path");
		ratio(samples, rounds, "executeWithEnhancementsWithMeters", "executeWithEnhancements", "meters / no meters");
	}

	private static void ratio(Map<String, List<double[]>> samples, int rounds, String scale, String base, String what) {
		List<double[]> ratios = new ArrayList<>();
		for (int round = 0; round < rounds; round++) {
			ratios.add(new double[] { samples.get(scale).get(round)[0] / samples.get(base).get(round)[0] });
		}
		System.out.printf("  ratio %s / %s (%s): median %.2f (%s)%n", scale, base, what, median(ratios, 0),
				range(ratios, 0));
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
