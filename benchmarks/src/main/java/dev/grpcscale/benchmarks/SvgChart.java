package dev.grpcscale.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A grouped bar chart written as a standalone SVG file, drawn by the goal report from its own figures so
 * that every full run redraws the charts in {@code docs/}: one group of bars per category (a percentile, a
 * round), one bar per series, each bar labelled with its value, and optional dashed horizontal lines (bounds),
 * on a linear or a logarithmic axis (for latency percentiles, whose tail is orders of magnitude above the
 * median). No external tool and no dependency; the output is deterministic for the same figures.
 *
 * @param title the chart's title
 * @param unit the values' unit, shown on the axis
 * @param categories the groups along the x axis
 * @param series the bars of every group, one value per category each ({@code NaN} for none)
 * @param lines horizontal reference lines
 * @param logarithmic whether the value axis is logarithmic (values must then be positive)
 */
record SvgChart(String title, String unit, List<String> categories, List<Series> series, List<Line> lines,
		boolean logarithmic) {

	private static final String[] COLORS = { "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1" };

	private static final int WIDTH = 820;

	private static final int HEIGHT = 400;

	private static final int LEFT = 70;

	private static final int RIGHT = 20;

	private static final int TOP = 80;

	private static final int BOTTOM = 50;

	/** A chart on a linear axis. */
	SvgChart(String title, String unit, List<String> categories, List<Series> series, List<Line> lines) {
		this(title, unit, categories, series, lines, false);
	}

	/** Checks that every series has one value per category. */
	SvgChart {
		for (Series one : series) {
			if (one.values().size() != categories.size()) {
				throw new IllegalArgumentException("series " + one.name() + ": " + one.values().size()
						+ " values (expected: " + categories.size() + ", one per category)");
			}
		}
	}

	/**
	 * One series of bars.
	 * @param name the legend's label
	 * @param values one value per category
	 */
	record Series(String name, List<Double> values) {
	}

	/**
	 * A dashed horizontal line.
	 * @param name its label
	 * @param value where it is drawn
	 */
	record Line(String name, double value) {
	}

	/** Writes the SVG to {@code file}, creating its directory. */
	void writeTo(Path file) throws IOException {
		Path parent = file.toAbsolutePath().getParent();
		if (parent != null) {
			Files.createDirectories(parent);
		}
		Files.writeString(file, render(), StandardCharsets.UTF_8);
	}

	/** The SVG document. */
	String render() {
		double max = 0;
		for (Series one : this.series) {
			for (double value : one.values()) {
				if (!Double.isNaN(value)) {
					max = Math.max(max, value);
				}
			}
		}
		for (Line line : this.lines) {
			max = Math.max(max, line.value());
		}
		Axis axis = this.logarithmic ? Axis.logarithmic(min(), max) : Axis.linear(max);
		int plotWidth = WIDTH - LEFT - RIGHT;
		int plotHeight = HEIGHT - TOP - BOTTOM;
		StringBuilder svg = new StringBuilder();
		svg.append(String.format(Locale.ROOT,
				"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n",
				WIDTH, HEIGHT, WIDTH, HEIGHT));
		svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
		svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
				LEFT, escape(this.title)));
		for (double tick : axis.ticks()) {
			double y = TOP + plotHeight - axis.fraction(tick) * plotHeight;
			svg.append(String.format(Locale.ROOT,
					"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
					LEFT, y, WIDTH - RIGHT, y, LEFT - 6, y + 4, number(tick)));
		}
		svg.append(String.format(Locale.ROOT,
				"<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">%s</text>%n",
				TOP + plotHeight / 2, TOP + plotHeight / 2, escape(this.unit)));
		double groupWidth = (double) plotWidth / Math.max(1, this.categories.size());
		double barWidth = groupWidth * 0.8 / Math.max(1, this.series.size());
		for (int c = 0; c < this.categories.size(); c++) {
			double groupLeft = LEFT + c * groupWidth + groupWidth * 0.1;
			for (int s = 0; s < this.series.size(); s++) {
				double value = this.series.get(s).values().get(c);
				if (Double.isNaN(value)) {
					continue;
				}
				double height = axis.fraction(value) * plotHeight;
				double x = groupLeft + s * barWidth;
				double y = TOP + plotHeight - height;
				svg.append(String.format(Locale.ROOT,
						"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>%n", x, y,
						Math.max(1, barWidth - 2), height, COLORS[s % COLORS.length]));
				double labelX = x + (barWidth - 2) / 2;
				if (barWidth < 28) {
					// too narrow for a horizontal label: write it upwards from the top of the bar
					svg.append(String.format(Locale.ROOT,
							"<text x=\"%.1f\" y=\"%.1f\" transform=\"rotate(-90 %.1f %.1f)\" font-size=\"9\">%s</text>%n",
							labelX + 3, y - 3, labelX + 3, y - 3, number(value)));
				}
				else {
					svg.append(String.format(Locale.ROOT,
							"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"9\">%s</text>%n", labelX,
							y - 3, number(value)));
				}
			}
			svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
					LEFT + c * groupWidth + groupWidth / 2, TOP + plotHeight + 18, escape(this.categories.get(c))));
		}
		for (Line line : this.lines) {
			double y = TOP + plotHeight - axis.fraction(line.value()) * plotHeight;
			svg.append(String.format(Locale.ROOT,
					"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c00\" stroke-dasharray=\"6 4\"/>%n"
							+ "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#c00\">%s</text>%n",
					LEFT, y, WIDTH - RIGHT, y, WIDTH - RIGHT - 4, y - 4, escape(line.name() + " " + number(line.value()))));
		}
		svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n", LEFT,
				TOP + plotHeight, WIDTH - RIGHT, TOP + plotHeight));
		double legendX = LEFT;
		int legendY = 30;
		for (int s = 0; s < this.series.size(); s++) {
			String name = this.series.get(s).name();
			double width = 16 + 6.5 * name.length() + 18;
			if (legendX > LEFT && legendX + width > WIDTH - RIGHT) {
				legendX = LEFT;
				legendY += 16;
			}
			svg.append(String.format(Locale.ROOT,
					"<rect x=\"%.1f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>%n<text x=\"%.1f\" y=\"%d\">%s</text>%n",
					legendX, legendY, COLORS[s % COLORS.length], legendX + 16, legendY + 10, escape(name)));
			legendX += width;
		}
		svg.append("</svg>\n");
		return svg.toString();
	}

	private double min() {
		double min = Double.MAX_VALUE;
		for (Series one : this.series) {
			for (double value : one.values()) {
				if (!Double.isNaN(value) && value > 0) {
					min = Math.min(min, value);
				}
			}
		}
		return (min == Double.MAX_VALUE) ? 1 : min;
	}

	/** Where values sit on the axis, from 0 (bottom) to 1 (top), and the ticks to label. */
	private record Axis(boolean logarithmic, double bottom, double top, List<Double> ticks) {

		static Axis linear(double max) {
			double step = niceStep((max > 0) ? max * 1.1 / 5 : 1);
			double top = step * Math.ceil(((max > 0) ? max * 1.1 : 1) / step);
			List<Double> ticks = new java.util.ArrayList<>();
			for (double tick = 0; tick <= top + step / 2; tick += step) {
				ticks.add(tick);
			}
			return new Axis(false, 0, top, ticks);
		}

		static Axis logarithmic(double min, double max) {
			double bottom = Math.pow(10, Math.floor(Math.log10(min)));
			double top = Math.pow(10, Math.ceil(Math.log10(Math.max(max, min * 10))));
			List<Double> ticks = new java.util.ArrayList<>();
			for (double decade = bottom; decade <= top * 1.0001; decade *= 10) {
				for (double factor : new double[] { 1, 2, 5 }) {
					if (decade * factor <= top * 1.0001) {
						ticks.add(decade * factor);
					}
				}
			}
			return new Axis(true, bottom, top, ticks);
		}

		double fraction(double value) {
			if (this.logarithmic) {
				return Math.max(0, Math.log10(value / this.bottom) / Math.log10(this.top / this.bottom));
			}
			return value / this.top;
		}

	}

	/** 1, 2 or 5 times a power of ten, at least {@code raw}. */
	static double niceStep(double raw) {
		double power = Math.pow(10, Math.floor(Math.log10(raw)));
		for (double factor : new double[] { 1, 2, 5, 10 }) {
			if (factor * power >= raw) {
				return factor * power;
			}
		}
		return 10 * power;
	}

	private static String number(double value) {
		if (value >= 100 || value == Math.rint(value)) {
			return String.format(Locale.ROOT, "%,.0f", value);
		}
		return String.format(Locale.ROOT, (value >= 10) ? "%.1f" : "%.2f", value);
	}

	private static String escape(String text) {
		return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
	}

}
