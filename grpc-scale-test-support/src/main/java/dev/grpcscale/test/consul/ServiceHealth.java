package dev.grpcscale.test.consul;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * What {@code GET /v1/health/service/<name>} serves: per service, a body and its index, as a test (or the
 * registrations) set them; a service nobody set is an empty list at index 1. With {@code index=N} a query
 * blocks while the service's index is {@code <= N}, up to {@code wait}.
 */
final class ServiceHealth {

	private static final Health UNKNOWN = new Health(1, "[]");

	private final BlockingQueries queries;

	/** Health by service; guarded by the queries' monitor. */
	private final Map<String, Health> health = new HashMap<>();

	ServiceHealth(BlockingQueries queries) {
		this.queries = queries;
	}

	/** Sets what a service's health serves and wakes blocked queries. */
	void set(String service, long index, String jsonBody) {
		synchronized (this.queries.monitor()) {
			this.health.put(service, new Health(index, jsonBody));
			this.queries.changed();
		}
	}

	/**
	 * Answers a health query, blocking as the query asks.
	 * @return the answer, or {@code null} when there is none to give (the agent stopped, the thread was
	 * interrupted)
	 */
	@Nullable Reply serve(String service, Map<String, String> query) {
		long requested = BlockingQueries.requestedIndex(query);
		Duration wait = BlockingQueries.requestedWait(query);
		Health current;
		synchronized (this.queries.monitor()) {
			if (!this.queries.awaitAbove(requested, wait, () -> this.health.getOrDefault(service, UNKNOWN).index())) {
				return null;
			}
			current = this.health.getOrDefault(service, UNKNOWN);
		}
		return this.queries.afterWait(new Reply(200, current.body(), current.index()));
	}

	private record Health(long index, String body) {
	}

}
