package dev.grpcscale.test.consul;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The durations the registry and the election send, in Go's notation: a whole number of {@code ms},
 * {@code s} or {@code m} ({@code wait=5m}, {@code "TTL":"10s"}, {@code "LockDelay":"15s"}).
 */
final class ConsulDuration {

	private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)");

	private ConsulDuration() {
	}

	/**
	 * @param text for example {@code 15s}
	 * @return the duration
	 * @throws IllegalArgumentException for anything else, which the agent then leaves unanswered
	 */
	static Duration parse(String text) {
		Matcher matcher = DURATION.matcher(text);
		if (!matcher.matches()) {
			throw new IllegalArgumentException("wait: " + text);
		}
		long amount = Long.parseLong(matcher.group(1));
		return switch (matcher.group(2)) {
			case "ms" -> Duration.ofMillis(amount);
			case "s" -> Duration.ofSeconds(amount);
			default -> Duration.ofMinutes(amount);
		};
	}

}
