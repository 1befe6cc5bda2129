package dev.grpcscale.benchmarks;

import java.util.Locale;
import java.util.Objects;

/**
 * The outcome of one measured case against its goal, printed as one line:
 * {@code <case>: ratio=<r> (<what the ratio compares>) goal=<goal> PASS|FAIL | <raw numbers>}.
 *
 * <p>A case is judged once, on the figure its goal names; the ratio is always the measured value over its
 * baseline measured in the same run (or over the goal's bound where the goal is absolute and no baseline
 * exists), so that noise on a shared machine shows up in the raw numbers, not as a changed verdict.
 *
 * @param name the case, for example {@code a.unary-throughput}
 * @param ratio measured over baseline
 * @param ratioMeaning what the ratio compares, for example {@code scale/bare calls per second}
 * @param goal the goal in words, for example {@code >= 0.95}
 * @param pass whether the goal was met
 * @param raw the raw numbers behind the ratio
 */
public record CaseResult(String name, double ratio, String ratioMeaning, String goal, boolean pass, String raw) {

	/** Checks the arguments. */
	public CaseResult {
		Objects.requireNonNull(name, "name");
		Objects.requireNonNull(ratioMeaning, "ratioMeaning");
		Objects.requireNonNull(goal, "goal");
		Objects.requireNonNull(raw, "raw");
	}

	/**
	 * A case whose ratio must be at least {@code minimum}.
	 * @param name the case
	 * @param measured the measured value
	 * @param baseline the baseline value
	 * @param ratioMeaning what the ratio compares
	 * @param minimum the lowest passing ratio
	 * @param raw the raw numbers
	 * @return the result
	 */
	public static CaseResult atLeast(String name, double measured, double baseline, String ratioMeaning,
			double minimum, String raw) {
		double ratio = ratio(measured, baseline);
		return new CaseResult(name, ratio, ratioMeaning, ">= " + format(minimum), ratio >= minimum, raw);
	}

	/**
	 * A case whose ratio must be at most {@code maximum}.
	 * @param name the case
	 * @param measured the measured value
	 * @param baseline the baseline value
	 * @param ratioMeaning what the ratio compares
	 * @param maximum the highest passing ratio
	 * @param raw the raw numbers
	 * @return the result
	 */
	public static CaseResult atMost(String name, double measured, double baseline, String ratioMeaning,
			double maximum, String raw) {
		double ratio = ratio(measured, baseline);
		return new CaseResult(name, ratio, ratioMeaning, "<= " + format(maximum), ratio <= maximum, raw);
	}

	/**
	 * A case with an absolute bound: the ratio is {@code measured / baseline} for information, the verdict
	 * is {@code measured <= bound}.
	 * @param name the case
	 * @param measured the measured value
	 * @param baseline the baseline value
	 * @param ratioMeaning what the ratio compares
	 * @param bound the highest passing measured value
	 * @param goal the goal in words, with its unit
	 * @param raw the raw numbers
	 * @return the result
	 */
	public static CaseResult boundedBy(String name, double measured, double baseline, String ratioMeaning,
			double bound, String goal, String raw) {
		return new CaseResult(name, ratio(measured, baseline), ratioMeaning, goal, measured <= bound, raw);
	}

	/** A ratio; {@code NaN} when the baseline is not positive. */
	static double ratio(double measured, double baseline) {
		return (baseline > 0) ? measured / baseline : Double.NaN;
	}

	/** The one-line report of this case. */
	public String line() {
		return this.name + ": ratio=" + format(this.ratio) + " (" + this.ratioMeaning + ") goal=" + this.goal + " "
				+ (this.pass ? "PASS" : "FAIL") + " | " + this.raw;
	}

	/** A number with three significant decimals, locale-independent. */
	static String format(double value) {
		if (Double.isNaN(value)) {
			return "n/a";
		}
		return String.format(Locale.ROOT, (Math.abs(value) >= 100) ? "%.1f" : "%.3f", value);
	}

	@Override
	public String toString() {
		return line();
	}

}
