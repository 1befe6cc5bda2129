package dev.grpcscale.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a leadership history recorded by several nodes on one machine (one monotonic clock,
 * {@link System#nanoTime()}), one event per line:
 * <ul>
 * <li>{@code GRANTED <node> <token> <at> <validUntil>}: the node became leader; {@code at} is read before
 * it starts claiming leadership;</li>
 * <li>{@code RENEWED <node> <token> <at> <validUntil>}: its lease now runs until {@code validUntil};</li>
 * <li>{@code REVOKED <node> <token> <at> <validUntil>}: it stopped claiming leadership;</li>
 * <li>{@code LEADING <node> <token> <t0> <t1>}: a probe saw {@code isLeader()} true at some moment between
 * {@code t0} and {@code t1};</li>
 * <li>{@code FAULT <kind> <target> <at>}: what the test did; {@code KILL}, {@code STOP}, {@code TERM},
 * {@code PARTITION_DROP} and {@code PARTITION_BLACKHOLE} are faults of the node named as target;</li>
 * <li>{@code HEALED <kind> <target> <at>}: the test ended a fault of the backend (for example an etcd member
 * paused, or etcd's quorum lost) at {@code at};</li>
 * <li>{@code WRITE_SENT <node> <token> <id> <t0>}: a write of a leader's task to a fenced store is about to be
 * sent; then, unless the node dies first, {@code WRITE_OK <node> <token> <id> <t0> <t1> <revision>},
 * {@code WRITE_REJECTED <node> <token> <id> <t0> <t1> <highestToken>} or {@code WRITE_FAILED <node> <token>
 * <id> <t0> <t1>}: accepted, rejected for a stale token, or of unknown outcome (timeout, error);</li>
 * <li>{@code STORED <id> <token> <revision>}: a write the fenced store holds at the end.</li>
 * </ul>
 *
 * <p>A leadership interval is {@code [GRANTED.at, end]}, with {@code end} the earlier of the revocation time
 * and the latest {@code validUntil} the node logged for that token. So a node that was paused (SIGSTOP), or
 * killed, and could not log its revocation in time ends at the last moment it could have believed itself
 * leader, which it logged in advance. Violations:
 * <ol>
 * <li>two intervals overlap;</li>
 * <li>tokens do not strictly grow from one interval to the next; a token granted twice;</li>
 * <li>a renewal, revocation or probe for a leadership that was never granted; a probe that saw leadership
 * outside its interval;</li>
 * <li>after a fault of the node leading at that moment, no new leader (higher token) within
 * {@code maxFailover}; after a {@code HEALED} backend fault, no leader within {@code maxRecovery};</li>
 * <li>fenced writes: an acknowledged write ({@code WRITE_OK}) the store does not hold (a lost write); the
 * store holding a write under a token below one it held before, by revision (a stale write accepted), or a
 * write that was rejected or never attempted; a rejection although no higher token was written; a write
 * under a token its node was never granted.</li>
 * </ol>
 */
public final class LeadershipHistoryChecker {

	private static final Set<String> LEADER_FAULTS = Set.of("KILL", "STOP", "TERM", "PARTITION_DROP",
			"PARTITION_BLACKHOLE");

	private final Duration maxFailover;

	private final Duration maxRecovery;

	private final List<String[]> events = new ArrayList<>();

	public LeadershipHistoryChecker(Duration maxFailover) {
		this(maxFailover, maxFailover);
	}

	/**
	 * @param maxFailover bound from a fault of the leader to the next leader
	 * @param maxRecovery bound from the end ({@code HEALED}) of a backend fault to a leader
	 */
	public LeadershipHistoryChecker(Duration maxFailover, Duration maxRecovery) {
		this.maxFailover = maxFailover;
		this.maxRecovery = maxRecovery;
	}

	public LeadershipHistoryChecker add(String line) {
		String trimmed = line.trim();
		if (!trimmed.isEmpty()) {
			this.events.add(trimmed.split("\\s+"));
		}
		return this;
	}

	public LeadershipHistoryChecker addAll(Collection<String> lines) {
		lines.forEach(this::add);
		return this;
	}

	public Report check() {
		List<String> violations = new ArrayList<>();
		Map<String, Interval> byKey = new LinkedHashMap<>();
		Map<Long, String> tokenOwners = new HashMap<>();
		for (String[] event : this.events) {
			if (event[0].equals("GRANTED")) {
				String node = event[1];
				long token = Long.parseLong(event[2]);
				String previousOwner = tokenOwners.putIfAbsent(token, node);
				if (previousOwner != null) {
					violations.add("token " + token + " granted twice (to " + previousOwner + " and " + node + ")");
					continue;
				}
				byKey.put(key(node, token), new Interval(node, token, Long.parseLong(event[3]), Long.MAX_VALUE,
						Long.parseLong(event[4])));
			}
		}
		for (String[] event : this.events) {
			switch (event[0]) {
				case "RENEWED", "REVOKED" -> {
					Interval interval = byKey.get(key(event[1], Long.parseLong(event[2])));
					if (interval == null) {
						violations.add(event[0] + " without GRANTED: " + String.join(" ", event));
					}
					else if (event[0].equals("RENEWED")) {
						interval.validUntil = Math.max(interval.validUntil, Long.parseLong(event[4]));
					}
					else {
						interval.revokedAt = Math.min(interval.revokedAt, Long.parseLong(event[3]));
					}
				}
				default -> {
				}
			}
		}
		List<Interval> intervals = new ArrayList<>(byKey.values());
		intervals.sort(Comparator.comparingLong(Interval::start));
		Interval latestEnding = null;
		Interval previous = null;
		for (Interval interval : intervals) {
			if (latestEnding != null && interval.start() < latestEnding.end()) {
				violations.add("overlap: " + interval + " starts " + (latestEnding.end() - interval.start())
						+ " ns before " + latestEnding + " ends");
			}
			if (previous != null && interval.token <= previous.token) {
				violations.add("token did not grow: " + previous + " then " + interval);
			}
			if (latestEnding == null || interval.end() > latestEnding.end()) {
				latestEnding = interval;
			}
			previous = interval;
		}
		for (String[] event : this.events) {
			if (event[0].equals("LEADING")) {
				Interval interval = byKey.get(key(event[1], Long.parseLong(event[2])));
				long t0 = Long.parseLong(event[3]);
				long t1 = Long.parseLong(event[4]);
				if (interval == null) {
					violations.add("LEADING without GRANTED: " + String.join(" ", event));
				}
				else if (t1 < interval.start() || t0 > interval.end()) {
					violations.add("probe saw leadership outside its interval: " + String.join(" ", event) + " vs "
							+ interval);
				}
			}
		}
		List<Failover> failovers = new ArrayList<>();
		for (String[] event : this.events) {
			if (!event[0].equals("FAULT") || !LEADER_FAULTS.contains(event[1])) {
				continue;
			}
			String node = event[2];
			long at = Long.parseLong(event[3]);
			Interval held = intervals.stream()
				.filter((interval) -> interval.node.equals(node) && interval.start() <= at && at < interval.end())
				.findFirst()
				.orElse(null);
			if (held == null) {
				continue;
			}
			Interval next = intervals.stream()
				.filter((interval) -> interval.token > held.token && interval.start() >= at)
				.min(Comparator.comparingLong(Interval::start))
				.orElse(null);
			if (next == null) {
				violations.add("no new leader after " + event[1] + " of " + node + " at " + at);
				continue;
			}
			Failover failover = new Failover(event[1], node, at, next.start());
			failovers.add(failover);
			if (failover.duration().compareTo(this.maxFailover) > 0) {
				violations.add("failover after " + event[1] + " of " + node + " took " + failover.duration()
						+ " (expected: <= " + this.maxFailover + ")");
			}
		}
		List<Failover> recoveries = new ArrayList<>();
		for (String[] event : this.events) {
			if (!event[0].equals("HEALED")) {
				continue;
			}
			long at = Long.parseLong(event[3]);
			java.util.OptionalLong leaderAt = intervals.stream()
				.filter((interval) -> interval.end() > at)
				.mapToLong((interval) -> Math.max(at, interval.start()))
				.min();
			if (leaderAt.isEmpty()) {
				violations.add("no leader after " + event[1] + " of " + event[2] + " healed at " + at);
				continue;
			}
			Failover recovery = new Failover(event[1], event[2], at, leaderAt.getAsLong());
			recoveries.add(recovery);
			if (recovery.duration().compareTo(this.maxRecovery) > 0) {
				violations.add("no leader for " + recovery.duration() + " after " + event[1] + " of " + event[2]
						+ " healed (expected: <= " + this.maxRecovery + ")");
			}
		}
		Writes writes = checkWrites(tokenOwners, violations);
		return new Report(List.copyOf(intervals), List.copyOf(failovers), List.copyOf(recoveries), writes,
				List.copyOf(violations));
	}

	private Writes checkWrites(Map<Long, String> tokenOwners, List<String> violations) {
		Map<String, String[]> attempts = new LinkedHashMap<>();
		List<String[]> stored = new ArrayList<>();
		for (String[] event : this.events) {
			switch (event[0]) {
				case "WRITE_SENT", "WRITE_OK", "WRITE_REJECTED", "WRITE_FAILED" -> {
					long token = Long.parseLong(event[2]);
					if (event[0].equals("WRITE_SENT")) {
						attempts.putIfAbsent(event[3], event);
						if (!event[1].equals(tokenOwners.get(token))) {
							violations.add("write under a token its node was never granted: " + String.join(" ", event));
						}
						continue;
					}
					if (!attempts.containsKey(event[3]) && !event[1].equals(tokenOwners.get(token))) {
						violations.add("write under a token its node was never granted: " + String.join(" ", event));
					}
					attempts.put(event[3], event);
					if (event[0].equals("WRITE_REJECTED") && Long.parseLong(event[6]) <= token) {
						violations.add("write rejected although no higher token was written: " + String.join(" ", event));
					}
				}
				case "STORED" -> stored.add(event);
				default -> {
				}
			}
		}
		stored.sort(Comparator.comparingLong((event) -> Long.parseLong(event[3])));
		Map<String, Long> storedTokens = new HashMap<>();
		long highest = Long.MIN_VALUE;
		for (String[] write : stored) {
			long token = Long.parseLong(write[2]);
			storedTokens.put(write[1], token);
			if (token < highest) {
				violations.add("stale write accepted: " + String.join(" ", write) + " after token " + highest);
			}
			highest = Math.max(highest, token);
			String[] attempt = attempts.get(write[1]);
			if (attempt == null || attempt[0].equals("WRITE_REJECTED")) {
				violations.add("the store holds a write that was " + ((attempt == null) ? "never attempted" : "rejected")
						+ ": " + String.join(" ", write));
			}
		}
		for (String[] attempt : attempts.values()) {
			if (attempt[0].equals("WRITE_OK") && !Long.valueOf(Long.parseLong(attempt[2])).equals(storedTokens.get(attempt[3]))) {
				violations.add("acknowledged write lost: " + String.join(" ", attempt));
			}
		}
		int accepted = 0;
		int rejected = 0;
		for (String[] attempt : attempts.values()) {
			if (attempt[0].equals("WRITE_OK")) {
				accepted++;
			}
			else if (attempt[0].equals("WRITE_REJECTED")) {
				rejected++;
			}
		}
		return new Writes(accepted, rejected, attempts.size() - accepted - rejected, stored.size());
	}

	private static String key(String node, long token) {
		return node + "#" + token;
	}

	/** One leadership: {@code [start, end]}, see the class notes. */
	public static final class Interval {

		final String node;

		final long token;

		final long start;

		long revokedAt;

		long validUntil;

		Interval(String node, long token, long start, long revokedAt, long validUntil) {
			this.node = node;
			this.token = token;
			this.start = start;
			this.revokedAt = revokedAt;
			this.validUntil = validUntil;
		}

		public String node() {
			return this.node;
		}

		public long start() {
			return this.start;
		}

		public long token() {
			return this.token;
		}

		public long end() {
			return Math.min(this.revokedAt, this.validUntil);
		}

		@Override
		public String toString() {
			return this.node + "#" + this.token + "[" + this.start + ", " + end() + "]";
		}

	}

	/** A fault of the leader and the start of the next leadership. */
	public record Failover(String kind, String node, long faultAt, long newLeaderAt) {

		public Duration duration() {
			return Duration.ofNanos(this.newLeaderAt - this.faultAt);
		}

	}

	/**
	 * Counts of a fenced store's writes.
	 * @param accepted writes acknowledged as accepted
	 * @param rejected writes rejected for a stale token
	 * @param failed writes of unknown outcome (timeout, error, or the node died before the answer)
	 * @param stored writes the store held at the end
	 */
	public record Writes(int accepted, int rejected, int failed, int stored) {
	}

	/** What {@link #check()} found; {@code recoveries} are from a {@code HEALED} backend fault to a leader. */
	public record Report(List<Interval> intervals, List<Failover> failovers, List<Failover> recoveries, Writes writes,
			List<String> violations) {

		public void assertValid() {
			if (!this.violations.isEmpty()) {
				throw new AssertionError(this.violations.size() + " violation(s) in a history of "
						+ this.intervals.size() + " leaderships:\n  " + String.join("\n  ", this.violations));
			}
		}

		public List<Duration> failovers(String kind) {
			return this.failovers.stream().filter((f) -> f.kind().equals(kind)).map(Failover::duration).toList();
		}

		public List<Duration> recoveries(String kind) {
			return this.recoveries.stream().filter((f) -> f.kind().equals(kind)).map(Failover::duration).toList();
		}

	}

}
