package dev.grpcscale.test.consul;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;

import dev.grpcscale.test.consul.FakeConsulAgent.KvEntry;

/**
 * The KV store as Consul's state store keeps it: plain writes, {@code acquire} and {@code release} of a
 * key's lock by a session, deletes, and reads that block on the KV index. A key's {@code LockIndex} counts
 * acquisitions by a new session and restarts at 1 when the key is deleted; {@code ModifyIndex} is the
 * (global) index of its last write; a key an invalidated session held cannot be acquired during the
 * session's lock delay.
 */
final class KeyValueStore {

	private final ObjectMapper mapper;

	private final BlockingQueries queries;

	/** Entries by key; guarded by the queries' monitor. */
	private final Map<String, KvEntry> kv = new TreeMap<>();

	/** Lock-delay ends ({@link System#nanoTime()}) by key; guarded by the queries' monitor. */
	private final Map<String, Long> lockDelays = new HashMap<>();

	/** The index of the last KV change; guarded by the queries' monitor. */
	private long kvIndex = 100;

	KeyValueStore(ObjectMapper mapper, BlockingQueries queries) {
		this.mapper = mapper;
		this.queries = queries;
	}

	/** An entry, or {@code null}. */
	@Nullable KvEntry entry(String key) {
		synchronized (this.queries.monitor()) {
			return this.kv.get(key);
		}
	}

	/**
	 * {@code PUT /v1/kv/<key>}: a plain write, or with {@code acquire=<session>} or
	 * {@code release=<session>} a lock operation.
	 * @param liveSession whether a session is live, for {@code acquire}
	 * @return whether the write was done, as Consul's {@code true}/{@code false} body says
	 */
	boolean put(String key, String value, Map<String, String> query, Predicate<String> liveSession) {
		String acquire = query.get("acquire");
		String release = query.get("release");
		synchronized (this.queries.monitor()) {
			KvEntry existing = this.kv.get(key);
			long index = this.queries.upcoming();
			KvEntry next;
			if (acquire != null) {
				if (!liveSession.test(acquire) || isLockDelayed(key)) {
					return false;
				}
				if (existing == null) {
					next = new KvEntry(key, value, acquire, 1, index, index);
				}
				else if (existing.session().equals(acquire)) {
					next = new KvEntry(key, value, acquire, existing.lockIndex(), existing.createIndex(), index);
				}
				else if (!existing.session().isEmpty()) {
					return false;
				}
				else {
					next = new KvEntry(key, value, acquire, existing.lockIndex() + 1, existing.createIndex(), index);
				}
			}
			else if (release != null) {
				if (existing == null || !existing.session().equals(release)) {
					return false;
				}
				next = new KvEntry(key, existing.value(), "", existing.lockIndex(), existing.createIndex(), index);
			}
			else {
				next = (existing != null) ? new KvEntry(key, value, existing.session(), existing.lockIndex(),
						existing.createIndex(), index) : new KvEntry(key, value, "", 0, index, index);
			}
			this.kvIndex = this.queries.advance();
			this.kv.put(key, next);
			this.queries.changed();
			return true;
		}
	}

	/** {@code DELETE /v1/kv/<key>}: removes the key, if there is one. */
	void delete(String key) {
		synchronized (this.queries.monitor()) {
			if (this.kv.remove(key) != null) {
				this.kvIndex = this.queries.advance();
				this.queries.changed();
			}
		}
	}

	/**
	 * {@code GET /v1/kv/<key>}, with {@code recurse} every key under it, blocking while the KV index is
	 * {@code <= index}, up to {@code wait}.
	 * @return the answer (404 when no key matches), or {@code null} when there is none to give (the agent
	 * stopped, the thread was interrupted)
	 */
	@Nullable Reply get(String key, Map<String, String> query) {
		long requested = BlockingQueries.requestedIndex(query);
		Duration wait = BlockingQueries.requestedWait(query);
		boolean recurse = query.containsKey("recurse");
		ArrayNode entries = this.mapper.createArrayNode();
		long index;
		synchronized (this.queries.monitor()) {
			if (!this.queries.awaitAbove(requested, wait, () -> this.kvIndex)) {
				return null;
			}
			index = this.kvIndex;
			for (KvEntry entry : this.kv.values()) {
				if (recurse ? entry.key().startsWith(key) : entry.key().equals(key)) {
					entries.add(entry.toJson(this.mapper));
				}
			}
		}
		return this.queries.afterWait(entries.isEmpty() ? new Reply(404, "", index)
				: new Reply(200, entries.toString(), index));
	}

	/**
	 * Consul's session invalidation on the keys a session holds: each is deleted or released by the session's
	 * behavior and blocked from acquisition for its lock delay. The caller holds the queries' monitor.
	 * @param session the invalidated session's id
	 * @param delete whether its behavior is {@code delete} (else {@code release})
	 * @param lockDelay its lock delay
	 */
	void invalidated(String session, boolean delete, Duration lockDelay) {
		long now = System.nanoTime();
		for (KvEntry entry : List.copyOf(this.kv.values())) {
			if (!session.equals(entry.session())) {
				continue;
			}
			if (!lockDelay.isZero()) {
				this.lockDelays.put(entry.key(), now + lockDelay.toNanos());
			}
			long index = this.queries.advance();
			if (delete) {
				this.kv.remove(entry.key());
			}
			else {
				this.kv.put(entry.key(), new KvEntry(entry.key(), entry.value(), "", entry.lockIndex(),
						entry.createIndex(), index));
			}
			this.kvIndex = index;
		}
	}

	private boolean isLockDelayed(String key) {
		Long delayedUntil = this.lockDelays.get(key);
		return delayedUntil != null && System.nanoTime() - delayedUntil < 0;
	}

}
