package dev.grpcscale.benchmarks;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.openjdk.jmh.infra.Blackhole;

/**
 * Case c in CPU time and bytes per read, which a busy machine does not inflate as it does JMH's wall-clock
 * averages: the reads of {@link DiscoveryCacheBenchmark} (memory: the map baseline, {@code getInstances},
 * {@code discoverServices}) and of {@link EtcdDiscoveryCacheBenchmark} (etcd: {@code getInstances},
 * {@code discoverServices} on the cache of a registry reading a real etcd the fixture starts), each on its
 * own benchmark state set up as JMH sets it up, at 10 and at 10,000 instances, in interleaved rounds on one
 * thread ({@link CpuRounds}: the order rotating each round, every variant making the same number of reads).
 * Every read's list goes into a JMH {@link Blackhole}, so that it cannot be optimised away, and each batch
 * ends by checking how many instances the variant reads. Variants are named as JMH names them:
 * {@code method@instances}. Usage: {@code DiscoveryCacheCpu [rounds] [reads per round] [memory|etcd|all]}
 * (default 11, 1,000,000, all).
 */
public final class DiscoveryCacheCpu {

	/** The instance counts measured: the goal's 10,000 and the small case beside it. */
	static final List<Integer> SIZES = List.of(10, 10_000);

	private static final int[] ONE_THREAD = { 1 };

	private DiscoveryCacheCpu() {
	}

	/**
	 * Runs the measurement and prints each variant's median CPU ns and bytes per read with its spread.
	 * @param args rounds, reads per round and backend, optional
	 * @throws Exception if a read fails or etcd cannot start
	 */
	public static void main(String[] args) throws Exception {
		int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : 11;
		int reads = (args.length > 1) ? Integer.parseInt(args[1]) : 1_000_000;
		String backend = (args.length > 2) ? args[2] : "all";
		System.out.printf("case c, CPU and allocation per read, %s, %d rounds x %d reads, Java %s, %d CPUs%n",
				Instant.now(), rounds, reads, System.getProperty("java.version"),
				Runtime.getRuntime().availableProcessors());
		if (!"etcd".equals(backend)) {
			report("memory", memory(rounds, reads));
		}
		if (!"memory".equals(backend)) {
			report("etcd", etcd(rounds, reads));
		}
	}

	/**
	 * Measures the memory reads and the map baseline at 10 and 10,000 instances.
	 * @param rounds interleaved rounds
	 * @param reads reads per variant and round
	 * @return every round's CPU ns and bytes per read, by variant ({@code bareMapGet@10000} ...)
	 * @throws Exception if a read fails
	 */
	static CpuSamples memory(int rounds, int reads) throws Exception {
		return memory(rounds, reads, SIZES);
	}

	/** {@link #memory(int, int)} at other instance counts. */
	static CpuSamples memory(int rounds, int reads, List<Integer> sizes) throws Exception {
		return measure(sizes, DiscoveryCacheBenchmark::new, rounds, reads, "case-c-memory-");
	}

	/**
	 * Measures the reads of the etcd-backed cache at 10 and 10,000 instances, each size on an etcd of its own
	 * started by {@link EtcdDiscoveryCacheBenchmark#setUp}, which registers the instances and loads them
	 * into the reading registry.
	 * @param rounds interleaved rounds
	 * @param reads reads per variant and round
	 * @return every round's CPU ns and bytes per read, by variant ({@code getInstances@10000} ...)
	 * @throws Exception if a read fails or etcd cannot start
	 */
	static CpuSamples etcd(int rounds, int reads) throws Exception {
		return etcd(rounds, reads, SIZES);
	}

	/** {@link #etcd(int, int)} at other instance counts. */
	static CpuSamples etcd(int rounds, int reads, List<Integer> sizes) throws Exception {
		return measure(sizes, EtcdDiscoveryCacheBenchmark::new, rounds, reads, "case-c-etcd-");
	}

	/**
	 * Sets up a new state per size, measures its reads (and the map baseline of a memory state) and tears
	 * every state down, as far as its set-up got.
	 */
	private static CpuSamples measure(List<Integer> sizes, Supplier<CacheReads> newState, int rounds, int reads,
			String threadName) throws Exception {
		Map<String, CpuRounds.Batch> variants = new LinkedHashMap<>();
		List<CacheReads> states = new ArrayList<>();
		try {
			for (int size : sizes) {
				CacheReads state = newState.get();
				state.instances(size);
				states.add(state);
				state.setUp();
				if (state instanceof DiscoveryCacheBenchmark memory) {
					variants.put("bareMapGet@" + size, (n) -> {
						Blackhole sink = blackhole();
						for (int i = 0; i < n; i++) {
							sink.consume(memory.bareMapGet());
						}
						return memory.bareMapGet().size();
					});
				}
				variants.put("getInstances@" + size, (n) -> {
					Blackhole sink = blackhole();
					for (int i = 0; i < n; i++) {
						sink.consume(state.getInstances());
					}
					return state.getInstances().size();
				});
				variants.put("discoverServices@" + size, (n) -> {
					Blackhole sink = blackhole();
					for (int i = 0; i < n; i++) {
						sink.consume(state.discoverServices());
					}
					return state.discoverServices().size();
				});
			}
			return checked(CpuRounds.measure(variants, ONE_THREAD, rounds, reads, threadName));
		}
		finally {
			states.forEach(CacheReads::tearDown);
		}
	}

	/**
	 * The samples, once every round of every variant has read as many instances as its name says.
	 * @throws IllegalStateException naming the first variant that read another number
	 */
	static CpuSamples checked(CpuSamples samples) {
		samples.byThreads().get(1).forEach((variant, rounds) -> {
			long expected = Long.parseLong(variant.substring(variant.indexOf('@') + 1));
			for (double[] round : rounds) {
				if (round[2] != expected) {
					throw new IllegalStateException(
							variant + ": read " + (long) round[2] + " instances (expected: " + expected + ")");
				}
			}
		});
		return samples;
	}

	/** A blackhole for one thread's batch, as JMH's generated code uses one per thread. */
	private static Blackhole blackhole() {
		return new Blackhole("Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
	}

	private static void report(String backend, CpuSamples samples) {
		System.out.println(backend + ":");
		samples.byThreads().get(1).forEach((name, rounds) -> System.out.printf("  %-24s %8.1f ns CPU/read %s, %.1f B/read%n",
				name, samples.cpu(1, name).median(), samples.cpu(1, name), CpuSamples.median(rounds, 1)));
	}

}
