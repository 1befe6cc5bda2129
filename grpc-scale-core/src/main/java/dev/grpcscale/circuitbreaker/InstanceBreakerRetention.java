package dev.grpcscale.circuitbreaker;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retention of the instance breakers of a {@link GrpcCircuitBreakers}: which instance breakers a channel
 * holds, since when the others are let go, and the removal of those let go for longer than the retention,
 * from the breakers' map and from the resilience4j registry. The rules are the ones the class description of
 * {@link GrpcCircuitBreakers} states.
 *
 * <p>It works on the map of entries of its {@link GrpcCircuitBreakers}: every change of an instance entry's
 * holders and every removal happen under that map's lock of the entry's name, so a breaker is never removed
 * while a channel takes hold of it, and a new breaker of a name is created in the registry only after the old
 * one left it. The entries let go are also kept in a map of their own, so a sweep reads only those.
 *
 * <p>Thread-safe.
 */
final class InstanceBreakerRetention {

	/** Logs under the name of the breakers' class, where its removals have always been logged. */
	private static final Logger logger = LoggerFactory.getLogger(GrpcCircuitBreakers.class);

	private final Map<String, BreakerEntry> entries;

	private final CircuitBreakerRegistry registry;

	private final Clock clock;

	private final Function<String, BreakerEntry> create;

	private final Duration retention;

	private final long retentionMillis;

	/** The least time between two sweeps not asked for explicitly. */
	private final long sweepIntervalMillis;

	/** Instance entries no channel holds, by name; a subset of {@link #entries}. */
	private final Map<String, BreakerEntry> released = new ConcurrentHashMap<>();

	private volatile long nextSweepMillis;

	/**
	 * Creates the retention of the instance entries in {@code entries}.
	 * @param entries the breakers' map of entries, shared with its {@link GrpcCircuitBreakers}
	 * @param registry the registry the breakers are in
	 * @param clock the clock the retention is measured with
	 * @param retention how long an entry let go is kept; at least zero
	 * @param create creates the entry of an instance breaker name (called under the map's lock of the name)
	 */
	InstanceBreakerRetention(Map<String, BreakerEntry> entries, CircuitBreakerRegistry registry, Clock clock,
			Duration retention, Function<String, BreakerEntry> create) {
		this.entries = entries;
		this.registry = registry;
		this.clock = clock;
		this.create = create;
		this.retention = retention;
		// a retention too long for a long of milliseconds is for ever
		this.retentionMillis = (retention.getSeconds() >= Long.MAX_VALUE / 1000) ? Long.MAX_VALUE
				: retention.toMillis();
		this.sweepIntervalMillis = Math.min(this.retentionMillis / 4, 1000);
	}

	/** How long an entry no channel holds is kept. */
	Duration retention() {
		return this.retention;
	}

	/**
	 * The entry of an instance breaker asked for by name rather than held, created when missing; unless a
	 * channel holds it, it is retained from this use. The use is noted under the map's lock of the name, where
	 * a sweep removes entries: a sweep running at the same time either removed the entry before (and a new one
	 * is created) or sees this use, so the entry returned is never one a sweep has just removed.
	 */
	BreakerEntry use(String name) {
		// before creating: a breaker is never swept the moment it is handed out
		sweep();
		return this.entries.compute(name, (key, entry) -> {
			BreakerEntry current = (entry != null) ? entry : this.create.apply(key);
			if (current.holders == 0) {
				retainFrom(current, this.clock.millis());
			}
			return current;
		});
	}

	/**
	 * Holds the entry of an instance for a channel balancing over it, created when missing: it is not
	 * removed until every holder {@link #release released} it and the retention has passed.
	 */
	BreakerEntry hold(String name) {
		sweep();
		return this.entries.compute(name, (key, entry) -> {
			BreakerEntry current = (entry != null) ? entry : this.create.apply(key);
			current.holders++;
			this.released.remove(key, current);
			return current;
		});
	}

	/** Lets go of an entry held by {@link #hold}; it is retained from now on once no channel holds it. */
	void release(BreakerEntry held) {
		long now = this.clock.millis();
		this.entries.computeIfPresent(held.name, (key, entry) -> {
			if (entry == held && entry.holders > 0 && --entry.holders == 0) {
				retainFrom(entry, now);
			}
			return entry;
		});
		sweep();
	}

	/** Marks an entry no channel holds as let go at {@code now}; called under the map's lock of its name. */
	private void retainFrom(BreakerEntry entry, long now) {
		entry.releasedAt = now;
		this.released.put(entry.name, entry);
	}

	/**
	 * Removes now the entries let go for the retention or longer.
	 * @return how many were removed
	 */
	int removeExpired() {
		long now = this.clock.millis();
		this.nextSweepMillis = now + this.sweepIntervalMillis;
		int removed = 0;
		for (BreakerEntry candidate : this.released.values()) {
			if (removeIfExpired(candidate, now)) {
				removed++;
			}
		}
		return removed;
	}

	/** Sweeps unless one ran within the sweep interval. */
	private void sweep() {
		if (!this.released.isEmpty() && this.clock.millis() >= this.nextSweepMillis) {
			removeExpired();
		}
	}

	private boolean removeIfExpired(BreakerEntry candidate, long now) {
		boolean[] removed = new boolean[1];
		// under the map's lock of this name: hold() of the same name waits, and a new breaker of the name is
		// created in the registry only after the old one left it
		this.entries.computeIfPresent(candidate.name, (name, entry) -> {
			if (entry != candidate) {
				return entry;
			}
			if (entry.holders > 0 || now - entry.releasedAt < this.retentionMillis) {
				return entry;
			}
			this.released.remove(name, entry);
			this.registry.find(name)
				.filter((breaker) -> breaker == entry.breaker)
				.ifPresent((breaker) -> this.registry.remove(name));
			removed[0] = true;
			return null;
		});
		if (!removed[0] && !this.entries.containsKey(candidate.name)) {
			this.released.remove(candidate.name, candidate);
		}
		if (removed[0]) {
			logger.debug("Circuit breaker '{}' removed: its instance left load balancing more than {} ago",
					candidate.name, this.retention);
		}
		return removed[0];
	}

}
