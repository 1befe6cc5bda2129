package dev.grpcscale.examples.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prometheus scrapes over time, as a Prometheus server would keep them: every sample of a scrape gets the
 * {@code instance} label of the application it came from. Parses the text exposition format's sample lines
 * ({@code name{label="value",...} value}); comments are skipped.
 */
final class ScrapeHistory {

	/** One scrape round: the seconds since the start and every sample read then. */
	record Tick(double seconds, List<Sample> samples) {
	}

	/** One sample: metric name, labels (sorted) and value. */
	record Sample(String name, Map<String, String> labels, double value) {
	}

	private final List<Tick> ticks = new ArrayList<>();

	List<Tick> ticks() {
		return this.ticks;
	}

	/** Starts a new scrape round. */
	void tick(double seconds) {
		this.ticks.add(new Tick(seconds, new ArrayList<>()));
	}

	/**
	 * Adds one application's scrape to the current round.
	 * @param instance the application, set as the {@code instance} label
	 * @param exposition the text of {@code /actuator/prometheus}
	 */
	void add(String instance, String exposition) {
		List<Sample> samples = this.ticks.get(this.ticks.size() - 1).samples();
		for (String line : exposition.split("\n")) {
			if (line.isBlank() || line.startsWith("#")) {
				continue;
			}
			Sample sample = parse(line);
			if (sample != null) {
				Map<String, String> labels = new TreeMap<>(sample.labels());
				labels.put("instance", instance);
				samples.add(new Sample(sample.name(), labels, sample.value()));
			}
		}
	}

	static Sample parse(String line) {
		int brace = line.indexOf('{');
		int space = line.lastIndexOf(' ');
		if (space < 0) {
			return null;
		}
		Map<String, String> labels = new TreeMap<>();
		String name;
		if (brace >= 0 && brace < space) {
			name = line.substring(0, brace);
			int end = line.lastIndexOf('}');
			String body = line.substring(brace + 1, end);
			int at = 0;
			while (at < body.length()) {
				int equals = body.indexOf('=', at);
				int close = equals + 2;
				StringBuilder value = new StringBuilder();
				while (body.charAt(close) != '"') {
					char c = body.charAt(close++);
					value.append((c == '\\') ? body.charAt(close++) : c);
				}
				labels.put(body.substring(at, equals), value.toString());
				at = close + 1;
				if (at < body.length() && body.charAt(at) == ',') {
					at++;
				}
			}
		}
		else {
			name = line.substring(0, space);
		}
		try {
			return new Sample(name, labels, Double.parseDouble(line.substring(space + 1).trim()));
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

}
