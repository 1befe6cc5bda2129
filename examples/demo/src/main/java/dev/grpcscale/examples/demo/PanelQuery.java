package dev.grpcscale.examples.demo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BinaryOperator;

/**
 * The few PromQL forms the dashboard uses, each able to print itself as PromQL (the text in the Grafana
 * JSON) and to evaluate itself over a {@link ScrapeHistory} the way Prometheus would at one instant. The
 * dashboard and its rendered picture are built from the same objects, so they show the same queries.
 */
sealed interface PanelQuery {

	/** The query as PromQL; {@code $__rate_interval} stands for the rate window. */
	String promql();

	/** The series and their values at a tick: label set to value. */
	Map<Map<String, String>, Double> eval(ScrapeHistory history, int tick, double rateWindowSeconds);

	/** {@code name{k="v",...}}. */
	static PanelQuery select(String name, String... matchers) {
		return new Select(name, matchers);
	}

	/** {@code rate(query[$__rate_interval])}: per-second increase over the window, counter resets handled. */
	static PanelQuery rate(PanelQuery query) {
		return new Rate((Select) query);
	}

	/** {@code sum by (labels) (query)}. */
	static PanelQuery sum(PanelQuery query, String... by) {
		return new Aggregate("sum", Double::sum, query, by);
	}

	/** {@code max by (labels) (query)}. */
	static PanelQuery max(PanelQuery query, String... by) {
		return new Aggregate("max", Math::max, query, by);
	}

	/** {@code a / b}, on series with the same labels. */
	static PanelQuery divide(PanelQuery a, PanelQuery b) {
		return new Divide(a, b);
	}

	record Select(String name, String[] matchers) implements PanelQuery {

		@Override
		public String promql() {
			List<String> parts = new ArrayList<>();
			for (int i = 0; i < this.matchers.length; i += 2) {
				parts.add(this.matchers[i] + "=\"" + this.matchers[i + 1] + "\"");
			}
			return this.name + (parts.isEmpty() ? "" : "{" + String.join(",", parts) + "}");
		}

		@Override
		public Map<Map<String, String>, Double> eval(ScrapeHistory history, int tick, double window) {
			Map<Map<String, String>, Double> result = new LinkedHashMap<>();
			for (ScrapeHistory.Sample sample : history.ticks().get(tick).samples()) {
				if (sample.name().equals(this.name) && matches(sample.labels())) {
					result.put(sample.labels(), sample.value());
				}
			}
			return result;
		}

		private boolean matches(Map<String, String> labels) {
			for (int i = 0; i < this.matchers.length; i += 2) {
				if (!this.matchers[i + 1].equals(labels.get(this.matchers[i]))) {
					return false;
				}
			}
			return true;
		}

	}

	record Rate(Select counter) implements PanelQuery {

		@Override
		public String promql() {
			return "rate(" + this.counter.promql() + "[$__rate_interval])";
		}

		@Override
		public Map<Map<String, String>, Double> eval(ScrapeHistory history, int tick, double window) {
			double now = history.ticks().get(tick).seconds();
			int first = tick;
			while (first > 0 && now - history.ticks().get(first - 1).seconds() <= window) {
				first--;
			}
			Map<Map<String, String>, Double> result = new LinkedHashMap<>();
			if (first == tick) {
				return result;
			}
			Map<Map<String, String>, Double> start = this.counter.eval(history, first, window);
			double elapsed = now - history.ticks().get(first).seconds();
			this.counter.eval(history, tick, window).forEach((labels, value) -> {
				Double before = start.get(labels);
				if (before != null) {
					// a counter that went down was reset: its whole value is the increase
					result.put(labels, ((value >= before) ? value - before : value) / elapsed);
				}
			});
			return result;
		}

	}

	record Aggregate(String op, BinaryOperator<Double> combine, PanelQuery query, String[] by) implements PanelQuery {

		@Override
		public String promql() {
			return this.op + " by (" + String.join(", ", this.by) + ") (" + this.query.promql() + ")";
		}

		@Override
		public Map<Map<String, String>, Double> eval(ScrapeHistory history, int tick, double window) {
			Map<Map<String, String>, Double> result = new LinkedHashMap<>();
			this.query.eval(history, tick, window).forEach((labels, value) -> {
				Map<String, String> key = new TreeMap<>();
				for (String label : this.by) {
					key.put(label, labels.getOrDefault(label, ""));
				}
				result.merge(key, value, this.combine);
			});
			return result;
		}

	}

	record Divide(PanelQuery a, PanelQuery b) implements PanelQuery {

		@Override
		public String promql() {
			return this.a.promql() + " / " + this.b.promql();
		}

		@Override
		public Map<Map<String, String>, Double> eval(ScrapeHistory history, int tick, double window) {
			Map<Map<String, String>, Double> divisors = this.b.eval(history, tick, window);
			Map<Map<String, String>, Double> result = new LinkedHashMap<>();
			this.a.eval(history, tick, window).forEach((labels, value) -> {
				Double divisor = divisors.get(labels);
				if (divisor != null && divisor != 0) {
					result.put(labels, value / divisor);
				}
			});
			return result;
		}

	}

}
