package dev.grpcscale.examples.demo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws {@link DashboardPanels} as an SVG from a {@link ScrapeHistory}: each panel's query evaluated at
 * every scrape, one line per series, the demo's events as dashed vertical lines. Says on the picture that
 * it was rendered by this tool, not by Grafana.
 */
final class DashboardSvg {

	/** Something that happened during the run, marked on every panel. */
	record Event(double seconds, String label) {
	}

	private static final String[] COLORS = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
			"#e377c2", "#17becf" };

	private static final int WIDTH = 1240;

	private static final int PANEL_W = 600;

	private static final int PANEL_H = 230;

	private final StringBuilder svg = new StringBuilder();

	private DashboardSvg() {
	}

	static String render(ScrapeHistory history, List<Event> events, double rateWindowSeconds, String subtitle) {
		DashboardSvg drawing = new DashboardSvg();
		int height = 90;
		for (DashboardPanels.Row row : DashboardPanels.ROWS) {
			height += 30 + ((row.panels().size() + 1) / 2) * (PANEL_H + 20);
		}
		drawing.svg.append(String.format(Locale.ROOT,
				"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\">%n",
				WIDTH, height));
		drawing.svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", WIDTH, height));
		drawing.text(20, 30, 20, "#000", "grpc-scale dashboard (docs/grafana-dashboard.json)");
		drawing.text(20, 52, 12, "#444", "Rendered by DashboardRenderer from /actuator/prometheus scrapes of a demo run, "
				+ "with the dashboard's queries (rate window " + (int) rateWindowSeconds + " s); not a Grafana screenshot.");
		drawing.text(20, 70, 12, "#444", subtitle);
		int y = 90;
		for (DashboardPanels.Row row : DashboardPanels.ROWS) {
			drawing.text(20, y + 20, 16, "#000", row.title());
			y += 30;
			for (int i = 0; i < row.panels().size(); i++) {
				int x = 20 + (i % 2) * (PANEL_W + 20);
				drawing.panel(x, y, row.panels().get(i), history, events, rateWindowSeconds);
				if (i % 2 == 1 || i == row.panels().size() - 1) {
					y += PANEL_H + 20;
				}
			}
		}
		return drawing.svg.append("</svg>\n").toString();
	}

	private void panel(int x, int y, DashboardPanels.Panel panel, ScrapeHistory history, List<Event> events,
			double window) {
		Map<String, List<double[]>> series = new LinkedHashMap<>();
		List<ScrapeHistory.Tick> ticks = history.ticks();
		double end = ticks.isEmpty() ? 1 : Math.max(1, ticks.get(ticks.size() - 1).seconds());
		double top = 0;
		for (int tick = 0; tick < ticks.size(); tick++) {
			for (Map.Entry<Map<String, String>, Double> value : panel.query().eval(history, tick, window).entrySet()) {
				if (value.getValue().isNaN() || value.getValue().isInfinite()) {
					continue;
				}
				series.computeIfAbsent(name(panel, value.getKey()), (key) -> new ArrayList<>())
					.add(new double[] { ticks.get(tick).seconds(), value.getValue() });
				top = Math.max(top, value.getValue());
			}
		}
		top = niceCeiling(top);
		this.svg.append(String.format(Locale.ROOT,
				"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ccc\"/>%n", x, y,
				PANEL_W, PANEL_H));
		text(x + 8, y + 18, 13, "#000", panel.title());
		text(x + 8, y + 32, 9, "#666", abbreviate(panel.query().promql(), 120));
		int left = x + 55;
		int right = x + PANEL_W - 170;
		int plotTop = y + 42;
		int bottom = y + PANEL_H - 22;
		for (int i = 0; i <= 2; i++) {
			double value = top * i / 2;
			int lineY = bottom - (int) Math.round((bottom - plotTop) * i / 2.0);
			line(left, lineY, right, lineY, "#e0e0e0", null);
			text(x + 4, lineY + 4, 9, "#444", format(value, panel.unit()));
		}
		text(left, bottom + 14, 9, "#444", "0 s");
		text(right - 30, bottom + 14, 9, "#444", Math.round(end) + " s");
		for (Event event : events) {
			int eventX = left + (int) Math.round((right - left) * event.seconds() / end);
			line(eventX, plotTop, eventX, bottom, "#999", "4,3");
		}
		int color = 0;
		int legendY = y + 50;
		for (Map.Entry<String, List<double[]>> entry : series.entrySet()) {
			String stroke = COLORS[color++ % COLORS.length];
			StringBuilder points = new StringBuilder();
			for (double[] point : entry.getValue()) {
				double px = left + (right - left) * point[0] / end;
				double py = bottom - ((top == 0) ? 0 : (bottom - plotTop) * point[1] / top);
				points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
			}
			this.svg.append(String.format(Locale.ROOT,
					"<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" points=\"%s\"/>%n", stroke,
					points.toString().trim()));
			if (legendY < bottom) {
				line(right + 10, legendY - 4, right + 24, legendY - 4, stroke, null);
				text(right + 28, legendY, 9, "#000", abbreviate(entry.getKey(), 26));
				legendY += 13;
			}
		}
		if (series.isEmpty()) {
			text(left + 10, (plotTop + bottom) / 2, 11, "#999", "no data");
		}
	}

	private static String name(DashboardPanels.Panel panel, Map<String, String> labels) {
		List<String> parts = new ArrayList<>();
		for (String label : panel.legendLabels()) {
			parts.add(labels.getOrDefault(label, ""));
		}
		return String.join(" ", parts).trim();
	}

	private static double niceCeiling(double value) {
		if (value <= 0) {
			return 1;
		}
		double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
		for (double step : new double[] { 1, 2, 5, 10 }) {
			if (step * magnitude >= value) {
				return step * magnitude;
			}
		}
		return 10 * magnitude;
	}

	private static String format(double value, String unit) {
		if ("s".equals(unit)) {
			return (value == 0) ? "0" : (value < 1) ? String.format(Locale.ROOT, "%.3g ms", value * 1000)
					: String.format(Locale.ROOT, "%.3g s", value);
		}
		String number = (value == Math.rint(value)) ? String.valueOf((long) value)
				: String.format(Locale.ROOT, "%.3g", value);
		return "reqps".equals(unit) || "ops".equals(unit) ? number + "/s" : number;
	}

	private static String abbreviate(String text, int length) {
		return (text.length() <= length) ? text : text.substring(0, length - 1) + "…";
	}

	private void text(int x, int y, int size, String fill, String content) {
		this.svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"%d\" fill=\"%s\">%s</text>%n", x,
				y, size, fill, content.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")));
	}

	private void line(int x1, int y1, int x2, int y2, String stroke, String dash) {
		this.svg.append(String.format(Locale.ROOT,
				"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"%s/>%n", x1, y1, x2, y2, stroke,
				(dash != null) ? " stroke-dasharray=\"" + dash + "\"" : ""));
	}

}
