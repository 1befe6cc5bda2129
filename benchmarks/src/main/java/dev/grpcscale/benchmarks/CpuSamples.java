package dev.grpcscale.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every round's CPU ns and bytes per operation, by thread count and variant, as {@link CpuRounds} measures
 * them: what cases b and c are judged on.
 *
 * @param byThreads for each thread count, each variant's rounds as {@code {cpu ns, bytes, sink}}
 */
record CpuSamples(Map<Integer, Map<String, List<double[]>>> byThreads) {

	/** The per-round ratio of CPU per operation, {@code scale / base}, on {@code threads} threads. */
	Spread ratio(int threads, String scale, String base) {
		List<double[]> measured = rounds(threads, scale);
		List<double[]> baseline = rounds(threads, base);
		List<Double> ratios = new ArrayList<>();
		for (int round = 0; round < measured.size(); round++) {
			ratios.add(measured.get(round)[0] / baseline.get(round)[0]);
		}
		return Spread.of(ratios);
	}

	/** The CPU ns per operation of one variant on {@code threads} threads over its rounds. */
	Spread cpu(int threads, String variant) {
		return Spread.of(rounds(threads, variant).stream().map((sample) -> sample[0]).toList());
	}

	/** Median CPU ns and bytes per operation of every variant on {@code threads} threads, one line. */
	String figures(int threads) {
		StringBuilder line = new StringBuilder();
		this.byThreads.get(threads)
			.forEach((name, list) -> line.append(String.format(Locale.ROOT, "%s %.1f ns CPU %.0f B; ", name,
					median(list, 0), median(list, 1))));
		return line.toString().trim();
	}

	private List<double[]> rounds(int threads, String variant) {
		List<double[]> rounds = this.byThreads.get(threads).get(variant);
		if (rounds == null) {
			throw new IllegalArgumentException(
					"variant: " + variant + " (expected: one of " + this.byThreads.get(threads).keySet() + ")");
		}
		return rounds;
	}

	/** The median of one column of the samples (the upper one of an even count). */
	static double median(List<double[]> samples, int index) {
		double[] values = samples.stream().mapToDouble((sample) -> sample[index]).sorted().toArray();
		return values[values.length / 2];
	}

	/** The range of one column of the samples, {@code min-max}. */
	static String range(List<double[]> samples, int index) {
		double[] values = samples.stream().mapToDouble((sample) -> sample[index]).sorted().toArray();
		return String.format("%.2f-%.2f", values[0], values[values.length - 1]);
	}

}
