package dev.grpcscale.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.LongAdder;

/**
 * CPU time and bytes per operation in interleaved rounds, which a busy machine does not inflate as it does
 * wall-clock averages: for each thread count, one unrecorded round of every variant, then {@code rounds}
 * rounds in which every variant runs once, the order rotating each round; each run starts the given number
 * of threads together, and each thread reads its own CPU time ({@code getCurrentThreadCpuTime}) and
 * allocation counter around its batch of operations. Cases b ({@link ExecuteWithEnhancementsCpu}) and c
 * ({@link DiscoveryCacheCpu}) are measured this way.
 */
final class CpuRounds {

	private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory
		.getThreadMXBean();

	private CpuRounds() {
	}

	/** A batch of operations run by one thread, between two reads of its counters. */
	@FunctionalInterface
	interface Batch {

		/**
		 * Runs the operations.
		 * @param operations how many
		 * @return a value derived from the operations' results, summed into the sample so that they are used
		 * @throws Exception if an operation fails
		 */
		long run(int operations) throws Exception;

	}

	/**
	 * Measures the variants.
	 * @param variants the batches, by name, in their order in the first round
	 * @param threadCounts the thread counts each variant runs on, one after the other
	 * @param rounds interleaved rounds per thread count
	 * @param operations operations per thread per round
	 * @param threadName the prefix of the measuring threads' names
	 * @return every round's CPU ns, bytes and summed batch values per operation of every variant
	 * @throws Exception if a batch fails
	 */
	static CpuSamples measure(Map<String, Batch> variants, int[] threadCounts, int rounds, int operations,
			String threadName) throws Exception {
		List<String> names = List.copyOf(variants.keySet());
		Map<Integer, Map<String, List<double[]>>> byThreads = new LinkedHashMap<>();
		for (int threads : threadCounts) {
			for (Batch variant : variants.values()) {
				run(variant, threads, operations, threadName); // warm-up, not recorded
			}
			Map<String, List<double[]>> samples = new LinkedHashMap<>();
			names.forEach((name) -> samples.put(name, new ArrayList<>()));
			for (int round = 0; round < rounds; round++) {
				for (int i = 0; i < names.size(); i++) {
					String name = names.get((round + i) % names.size());
					samples.get(name).add(run(variants.get(name), threads, operations, threadName));
				}
			}
			byThreads.put(threads, samples);
		}
		return new CpuSamples(byThreads);
	}

	/**
	 * CPU ns and bytes per operation of {@code operations} operations on each of {@code threads} threads
	 * started together, and the sum of the batches' values.
	 */
	private static double[] run(Batch batch, int threads, int operations, String threadName) throws Exception {
		LongAdder cpu = new LongAdder();
		LongAdder bytes = new LongAdder();
		LongAdder sink = new LongAdder();
		CyclicBarrier start = new CyclicBarrier(threads);
		List<Thread> workers = new ArrayList<>();
		List<Throwable> failures = new CopyOnWriteArrayList<>();
		for (int t = 0; t < threads; t++) {
			Thread worker = new Thread(() -> {
				try {
					start.await();
					long id = Thread.currentThread().getId();
					long allocated = THREADS.getThreadAllocatedBytes(id);
					long time = THREADS.getCurrentThreadCpuTime();
					long value = batch.run(operations);
					cpu.add(THREADS.getCurrentThreadCpuTime() - time);
					bytes.add(THREADS.getThreadAllocatedBytes(id) - allocated);
					sink.add(value);
				}
				catch (Throwable ex) {
					failures.add(ex);
				}
			}, threadName + t);
			worker.start();
			workers.add(worker);
		}
		for (Thread worker : workers) {
			worker.join();
		}
		if (!failures.isEmpty()) {
			throw new IllegalStateException("a variant failed", failures.get(0));
		}
		long total = (long) threads * operations;
		return new double[] { (double) cpu.sum() / total, (double) bytes.sum() / total, sink.sum() };
	}

}
