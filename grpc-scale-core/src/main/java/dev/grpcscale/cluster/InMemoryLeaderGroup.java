package dev.grpcscale.cluster;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * The shared state of {@link InMemoryLeaderElection}s in one JVM: their sessions (leases), candidacies and
 * the current leader. Every election given the same group competes with the others.
 *
 * <p>Like a real backend, the group expires a session that was not renewed within {@code electionTimeout}
 * (of that session's settings), and then promotes the oldest remaining candidate. Each promotion takes the
 * next value of a counter as fencing token. Expiry is checked whenever any member of the group calls in
 * (they do every heartbeat), on the ticker values the callers pass; so every election of a group must use
 * the same ticker.
 *
 * <p>{@link #create()} gives a private group; {@link InMemoryLeaderElection#shared(LeaderElectionSettings)}
 * uses one group per namespace and election name, dropped when its last election closes. Thread-safe.
 */
public final class InMemoryLeaderGroup {

	/** Groups shared by namespace and election name; holds only groups that live elections reference. */
	private static final Map<String, InMemoryLeaderGroup> SHARED = new ConcurrentHashMap<>();

	private final @Nullable String sharedName;

	/** Elections referencing a shared group; guarded by {@link #SHARED}'s compute. */
	private int views;

	private final Object lock = new Object();

	private final Map<Long, Member> sessions = new LinkedHashMap<>();

	private final TreeMap<Long, Member> candidates = new TreeMap<>();

	private long sessionIds;

	private long candidacies;

	private long term;

	private @Nullable Member leader;

	private InMemoryLeaderGroup(@Nullable String sharedName) {
		this.sharedName = sharedName;
	}

	/** A group of its own: only elections given this object compete. */
	public static InMemoryLeaderGroup create() {
		return new InMemoryLeaderGroup(null);
	}

	static InMemoryLeaderGroup acquire(String name) {
		return SHARED.compute(name, (key, existing) -> {
			InMemoryLeaderGroup group = (existing != null) ? existing : new InMemoryLeaderGroup(key);
			group.views++;
			return group;
		});
	}

	void release() {
		if (this.sharedName != null) {
			SHARED.computeIfPresent(this.sharedName, (key, existing) -> (--existing.views == 0) ? null : existing);
		}
	}

	/** The fencing token of the last promotion, {@code 0} before any. */
	public long term() {
		synchronized (this.lock) {
			return this.term;
		}
	}

	Member open(String nodeId, String address, Instant heartbeat, long ttlNanos, long nowNanos) {
		List<Runnable> completions;
		Member member;
		synchronized (this.lock) {
			member = new Member(++this.sessionIds, nodeId, address, ttlNanos);
			member.lastHeartbeat = heartbeat;
			member.expiresAtNanos = nowNanos + ttlNanos;
			this.sessions.put(member.id, member);
			completions = expireAndPromote(nowNanos);
		}
		completions.forEach(Runnable::run);
		return member;
	}

	boolean renew(Member member, Instant heartbeat, long nowNanos) {
		List<Runnable> completions;
		boolean alive;
		synchronized (this.lock) {
			completions = expireAndPromote(nowNanos);
			alive = this.sessions.get(member.id) == member;
			if (alive) {
				member.expiresAtNanos = nowNanos + member.ttlNanos;
				member.lastHeartbeat = heartbeat;
			}
		}
		completions.forEach(Runnable::run);
		return alive;
	}

	CompletableFuture<Long> campaign(Member member, long nowNanos) {
		List<Runnable> completions;
		CompletableFuture<Long> result;
		synchronized (this.lock) {
			completions = expireAndPromote(nowNanos);
			if (this.sessions.get(member.id) != member) {
				result = CompletableFuture.failedFuture(new IllegalStateException("session " + member.id + " expired"));
			}
			else {
				if (member.candidacy == null) {
					member.candidacy = new CompletableFuture<>();
					this.candidates.put(++this.candidacies, member);
					completions.addAll(expireAndPromote(nowNanos));
				}
				result = member.candidacy;
			}
		}
		completions.forEach(Runnable::run);
		return result;
	}

	void close(Member member, long nowNanos) {
		List<Runnable> completions;
		synchronized (this.lock) {
			remove(member);
			completions = expireAndPromote(nowNanos);
		}
		completions.forEach(Runnable::run);
	}

	List<MemberAnnouncement> members(long nowNanos) {
		List<Runnable> completions;
		List<MemberAnnouncement> result = new ArrayList<>();
		synchronized (this.lock) {
			completions = expireAndPromote(nowNanos);
			for (Member member : this.sessions.values()) {
				result.add(new MemberAnnouncement(member.nodeId, member.address, member.lastHeartbeat));
			}
		}
		completions.forEach(Runnable::run);
		return result;
	}

	@Nullable LeaderInfo leader(long nowNanos) {
		List<Runnable> completions;
		LeaderInfo result;
		synchronized (this.lock) {
			completions = expireAndPromote(nowNanos);
			Member current = this.leader;
			result = (current != null) ? new LeaderInfo(current.nodeId, current.address, current.token) : null;
		}
		completions.forEach(Runnable::run);
		return result;
	}

	/** Under the lock: drops expired sessions, promotes a leader; returns completions to run after it. */
	private List<Runnable> expireAndPromote(long nowNanos) {
		List<Runnable> completions = new ArrayList<>();
		for (Member member : new ArrayList<>(this.sessions.values())) {
			if (nowNanos - member.expiresAtNanos >= 0) {
				remove(member);
			}
		}
		if (this.leader == null && !this.candidates.isEmpty()) {
			Member next = this.candidates.pollFirstEntry().getValue();
			next.token = ++this.term;
			this.leader = next;
			CompletableFuture<Long> candidacy = Objects.requireNonNull(next.candidacy);
			long token = next.token;
			completions.add(() -> candidacy.complete(token));
		}
		return completions;
	}

	private void remove(Member member) {
		if (this.sessions.remove(member.id) == null) {
			return;
		}
		this.candidates.values().remove(member);
		if (this.leader == member) {
			this.leader = null;
		}
		CompletableFuture<Long> candidacy = member.candidacy;
		if (candidacy != null && !candidacy.isDone()) {
			candidacy.completeExceptionally(new IllegalStateException("session " + member.id + " ended"));
		}
	}

	/** A session of one election in the group; guarded by the group's lock. */
	static final class Member {

		final long id;

		final String nodeId;

		final String address;

		final long ttlNanos;

		Instant lastHeartbeat = Instant.EPOCH;

		long expiresAtNanos;

		long token;

		@Nullable CompletableFuture<Long> candidacy;

		Member(long id, String nodeId, String address, long ttlNanos) {
			this.id = id;
			this.nodeId = nodeId;
			this.address = address;
			this.ttlNanos = ttlNanos;
		}

	}

}
