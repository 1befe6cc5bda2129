package dev.grpcscale.benchmarks;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The median of a few per-round values with their spread: quartiles (linear interpolation between closest
 * ranks) and min–max.
 *
 * @param median the median
 * @param q1 the first quartile
 * @param q3 the third quartile
 * @param min the smallest value
 * @param max the largest value
 * @param count how many values
 */
record Spread(double median, double q1, double q3, double min, double max, int count) {

	/**
	 * The spread of the given values.
	 * @param values one or more values
	 * @return their median, quartiles and range
	 * @throws IllegalArgumentException when there is no value
	 */
	static Spread of(List<Double> values) {
		if (values.isEmpty()) {
			throw new IllegalArgumentException("values: [] (expected: at least one)");
		}
		double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
		Arrays.sort(sorted);
		return new Spread(quantile(sorted, 0.5), quantile(sorted, 0.25), quantile(sorted, 0.75), sorted[0],
				sorted[sorted.length - 1], sorted.length);
	}

	private static double quantile(double[] sorted, double q) {
		double position = q * (sorted.length - 1);
		int below = (int) Math.floor(position);
		int above = Math.min(sorted.length - 1, below + 1);
		return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
	}

	@Override
	public String toString() {
		return String.format(Locale.ROOT, "median %.3f (IQR %.3f-%.3f, min-max %.3f-%.3f, n=%d)", this.median, this.q1,
				this.q3, this.min, this.max, this.count);
	}

}
