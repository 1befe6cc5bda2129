package dev.grpcscale.consul.internal;

import java.time.Duration;

/** Writes durations the way Consul reads them (Go's {@code time.ParseDuration}): {@code 1m}, {@code 10s}, {@code 1500ms}. */
public final class ConsulDurations {

	private ConsulDurations() {
	}

	/** Formats a positive duration, rounding sub-millisecond parts up to the next millisecond. */
	public static String format(Duration duration) {
		long millis = duration.toMillis() + ((duration.toNanos() % 1_000_000 != 0) ? 1 : 0);
		if (millis % 60_000 == 0) {
			return (millis / 60_000) + "m";
		}
		if (millis % 1_000 == 0) {
			return (millis / 1_000) + "s";
		}
		return millis + "ms";
	}

}
