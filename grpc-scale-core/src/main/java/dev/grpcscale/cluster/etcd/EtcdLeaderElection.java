package dev.grpcscale.cluster.etcd;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import dev.grpcscale.cluster.AbstractLeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeaderInfo;
import dev.grpcscale.cluster.MemberAnnouncement;
import dev.grpcscale.cluster.internal.ElectionRecords;
import dev.grpcscale.etcd.internal.EtcdFailures;
import dev.grpcscale.etcd.internal.EtcdLeaseRenewal;

/**
 * Leader election and membership on etcd, on a lease, with the algorithm of etcd's election recipe (the
 * oldest candidacy key leads) run by this class so that only grpc-scale's own candidacies count.
 *
 * <pre>{@code
 * Client client = Client.builder().endpoints("http://etcd-1:2379", "http://etcd-2:2379").build();
 * LeaderElection election = EtcdLeaderElection.create(client, LeaderElectionSettings.builder()
 *     .nodeId("orders-1").address("10.0.0.7:9090").build());
 * election.join();
 * }</pre>
 *
 * <p>Each session is a lease with TTL {@code electionTimeout} (rounded up to whole seconds, as etcd counts
 * them; etcd may raise a TTL below its minimum, which only delays the next leader). The lease is renewed
 * with one {@code LeaseKeepAlive} every {@code heartbeatInterval}, timed from when the request is sent (see
 * {@link AbstractLeaderElection}). Bound to the lease are:
 * <ul>
 * <li>{@code <namespace>/cluster/<name>/members/<nodeId>}: this node's announcement, JSON
 * {@code {"nodeId":..,"address":..,"lastHeartbeat":"<ISO-8601 instant>"}}, rewritten every heartbeat;</li>
 * <li>{@code <namespace>/cluster/<name>/election/<lease id in hex>}: the candidacy, created in a transaction
 * if absent, JSON {@code {"nodeId":..,"address":..}}, the same key etcd's own {@code Campaign} would write.
 * The oldest candidacy leads; its create revision is the fencing token, which grows from leader to leader
 * because every candidacy existing while a leader leads was created after its own.</li>
 * </ul>
 *
 * <p><b>Foreign and bad records.</b> A key under {@code election/} counts as a candidacy only if it is bound
 * to a lease, is named after that lease and holds a candidacy record; anything else (a key written without a
 * lease by another tool, an unreadable value) is skipped with one warning per key, so it can neither block the
 * election, as it would block etcd's own {@code Campaign}, which waits for every older key under the prefix,
 * nor pass for a leader. A member record that is not an announcement (not JSON, a field missing or of the
 * wrong type, another node's id, over {@value ElectionRecords#MAX_VALUE_BYTES} bytes) is skipped with one
 * warning per key; reading the cluster, and so leader-loss detection, goes on.
 * A crashed node's keys vanish when its lease expires; {@link #leave()} revokes the lease, which removes
 * both keys at once. Members and the leader are read (linearizably) every half heartbeat interval.
 *
 * <p>The jetcd {@link Client} belongs to the caller: this class never closes it.
 */
public final class EtcdLeaderElection extends AbstractLeaderElection<EtcdSession> {

	private static final Logger logger = LoggerFactory.getLogger(EtcdLeaderElection.class);

	private static final JsonMapper json = JsonMapper.shared();

	private final Client client;

	private final EtcdLeaseRenewal renewal;

	private final long ttlSeconds;

	private final String prefix;

	private final String candidatesPrefix;

	private final String membersPrefix;

	private final ByteSequence memberKey;

	private final AtomicBoolean warnedTtl = new AtomicBoolean();

	private final ElectionRecords records;

	private final Set<Watch.Watcher> watchers = ConcurrentHashMap.newKeySet();

	private volatile View view = new View(-1, 0, List.of(), null, Set.of(), 0);

	private EtcdLeaderElection(Client client, LeaderElectionSettings settings) {
		super(settings);
		this.client = client;
		this.renewal = new EtcdLeaseRenewal(client.getLeaseClient(), EtcdLeaseRenewal.NO_LEADER_ATTEMPTS);
		long millis = settings.electionTimeout().toMillis();
		this.ttlSeconds = Math.max(1, (millis + 999) / 1000);
		String namespace = settings.namespace().endsWith("/")
				? settings.namespace().substring(0, settings.namespace().length() - 1) : settings.namespace();
		this.prefix = namespace + "/cluster/" + settings.electionName() + "/";
		this.candidatesPrefix = this.prefix + "election/";
		this.membersPrefix = this.prefix + "members/";
		this.memberKey = bytes(this.membersPrefix + settings.nodeId());
		this.records = new ElectionRecords(logger,
				"Node " + settings.nodeId() + " of election '" + settings.qualifiedName() + "'");
	}

	/**
	 * An election on etcd.
	 * @param client the jetcd client; not closed by the election
	 * @param settings the settings
	 * @return the election, not joined yet
	 */
	public static EtcdLeaderElection create(Client client, LeaderElectionSettings settings) {
		return new EtcdLeaderElection(Objects.requireNonNull(client, "client"), settings);
	}

	/** The key prefix of this election: {@code <namespace>/cluster/<electionName>/}. */
	public String keyPrefix() {
		return this.prefix;
	}

	@Override
	protected String provider() {
		return "etcd";
	}

	@Override
	protected CompletableFuture<EtcdSession> openSession() {
		return quietWhenClosed(() -> this.client.getLeaseClient().grant(this.ttlSeconds)).thenCompose((grant) -> {
			long leaseId = grant.getID();
			if (grant.getTTL() > this.ttlSeconds && this.warnedTtl.compareAndSet(false, true)) {
				logger.warn("etcd granted a lease TTL of {}s instead of {}s (its minimum TTL); the next leader is "
						+ "elected that much later", grant.getTTL(), this.ttlSeconds);
			}
			EtcdSession session = new EtcdSession(leaseId);
			return announce(session).thenApply((ignored) -> session).whenComplete((ignored, ex) -> {
				if (ex != null) {
					this.client.getLeaseClient().revoke(leaseId);
				}
			});
		});
	}

	@Override
	protected CompletableFuture<Boolean> renewSession(EtcdSession session) {
		return quietWhenClosed(() -> this.renewal.renew(session.leaseId())).handle((response, ex) -> {
			if (ex == null) {
				announce(session).whenComplete((ignored, putEx) -> {
					if (putEx != null) {
						logger.debug("Could not refresh the announcement of node {}", settings().nodeId(), putEx);
					}
				});
				return true;
			}
			if (EtcdLeaseRenewal.isLeaseNotFound(ex)) {
				return false;
			}
			throw (ex instanceof CompletionException completion) ? completion : new CompletionException(ex);
		});
	}

	/**
	 * Campaigns: creates this session's candidacy key unless it exists, then waits until no older candidacy
	 * stands, woken by a watch of the candidacies. Around an etcd member's crash or leader change a call can
	 * stall until etcd's request timeout (about 6 s), or a watch can miss its event; so, checked every heartbeat
	 * while no answer came, the attempt is repeated when its key is still not visible after
	 * {@code electionTimeout}, or when the key is already the oldest (this node should have been told) for
	 * longer than a heartbeat. Attempts on the same lease reuse the key, so they are idempotent; the first
	 * answer wins. A node legitimately waiting behind another leader never repeats.
	 */
	@Override
	protected CompletableFuture<Long> campaign(EtcdSession session) {
		CompletableFuture<Long> result = new CompletableFuture<>();
		campaignAttempt(session, result);
		scheduleCampaignCheck(session, result, nanoTime());
		return result;
	}

	private void scheduleCampaignCheck(EtcdSession session, CompletableFuture<Long> result, long attemptStarted) {
		try {
			scheduler().schedule(() -> {
				if (result.isDone()) {
					return;
				}
				long now = nanoTime();
				long age = now - attemptStarted;
				View seen = this.view;
				boolean fresh = seen.sentNanos() - attemptStarted > 0;
				boolean committed = fresh && seen.candidateLeases().contains(session.leaseId());
				boolean oldest = committed && seen.oldestLease() == session.leaseId();
				boolean stalled = (!committed && age >= settings().electionTimeout().toNanos())
						|| (oldest && age >= settings().heartbeatInterval().toNanos());
				long nextStart = attemptStarted;
				if (stalled) {
					logger.debug("Node {}: campaign unanswered after {} ms; campaigning again", settings().nodeId(),
							age / 1_000_000);
					campaignAttempt(session, result);
					nextStart = now;
				}
				scheduleCampaignCheck(session, result, nextStart);
			}, settings().heartbeatInterval().toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// closed
		}
	}

	private void campaignAttempt(EtcdSession session, CompletableFuture<Long> result) {
		ByteSequence key = bytes(this.candidatesPrefix + Long.toHexString(session.leaseId()));
		ByteSequence proposal = bytes(write(new Candidate(settings().nodeId(), settings().address())));
		PutOption lease = PutOption.builder().withLeaseId(session.leaseId()).build();
		this.client.getKVClient()
			.txn()
			.If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
			.Then(Op.put(key, proposal, lease))
			.commit()
			.whenComplete((txn, ex) -> {
				if (ex != null) {
					result.completeExceptionally(ex);
				}
				else {
					awaitOldest(session, key, result);
				}
			});
	}

	/** Completes {@code result} with the key's create revision once no older candidacy stands. */
	private void awaitOldest(EtcdSession session, ByteSequence key, CompletableFuture<Long> result) {
		if (result.isDone()) {
			return;
		}
		GetOption option = GetOption.builder().isPrefix(true).build();
		this.client.getKVClient().get(bytes(this.candidatesPrefix), option).whenComplete((get, ex) -> {
			if (ex != null) {
				result.completeExceptionally(ex);
				return;
			}
			KeyValue own = null;
			for (KeyValue kv : get.getKvs()) {
				if (kv.getKey().equals(key)) {
					own = kv;
				}
			}
			if (own == null || own.getLease() != session.leaseId()) {
				result.completeExceptionally(
						new IllegalStateException("the candidacy key " + string(key) + " no longer stands"));
				return;
			}
			long mine = own.getCreateRevision();
			boolean older = false;
			for (KeyValue kv : get.getKvs()) {
				if (kv.getCreateRevision() < mine && candidacy(kv) != null) {
					older = true;
				}
			}
			if (!older) {
				confirmStanding(session, key, mine, result);
				return;
			}
			watchCandidates(get.getHeader().getRevision() + 1, () -> awaitOldest(session, key, result));
		});
	}

	/**
	 * Completes {@code result} with {@code revision} once a second read shows the candidacy key still standing
	 * on this session's lease, as etcd's own {@code Campaign} result was checked: the lease may have been lost
	 * meanwhile (etcd 3.4 can expire a lease early around a paused member's return).
	 */
	private void confirmStanding(EtcdSession session, ByteSequence key, long revision, CompletableFuture<Long> result) {
		this.client.getKVClient().get(key).whenComplete((get, ex) -> {
			if (ex != null) {
				result.completeExceptionally(ex);
				return;
			}
			KeyValue kv = get.getKvs().isEmpty() ? null : get.getKvs().get(0);
			if (kv == null || kv.getLease() != session.leaseId() || kv.getCreateRevision() != revision) {
				result.completeExceptionally(
						new IllegalStateException("elected, but the candidacy key " + string(key) + " no longer stands"));
				return;
			}
			result.complete(revision);
		});
	}

	/** Runs {@code onChange} once, at the first change under the candidacies from {@code revision} on. */
	private void watchCandidates(long revision, Runnable onChange) {
		AtomicBoolean fired = new AtomicBoolean();
		CandidatesWatch holder = new CandidatesWatch();
		Runnable once = () -> {
			if (fired.compareAndSet(false, true)) {
				holder.close();
				onChange.run();
			}
		};
		WatchOption option = WatchOption.builder().isPrefix(true).withRevision(revision).build();
		Watch.Watcher watcher = this.client.getWatchClient()
			.watch(bytes(this.candidatesPrefix), option, Watch.listener((response) -> once.run(), (error) -> {
				logger.debug("Node {}: watching the candidacies failed; reading again in a heartbeat",
						settings().nodeId(), error);
				try {
					scheduler().schedule(once, settings().heartbeatInterval().toNanos(), TimeUnit.NANOSECONDS);
				}
				catch (RejectedExecutionException ex) {
					holder.close();
				}
			}));
		holder.set(watcher);
		if (fired.get()) {
			holder.close();
		}
	}

	/** Closes the watches of pending campaigns, then leaves and stops the election's threads. */
	@Override
	public void close() {
		try {
			super.close();
		}
		finally {
			for (Watch.Watcher watcher : this.watchers) {
				watcher.close();
			}
			this.watchers.clear();
		}
	}

	@Override
	protected CompletableFuture<Void> closeSession(EtcdSession session) {
		return EtcdFailures.revoke(this.client.getLeaseClient(), session.leaseId()).exceptionally((ex) -> {
			// one line for the warning of a leave: why, not a stack trace of jetcd's executor
			throw new CompletionException(EtcdFailures.quiet("revoke failed: " + EtcdFailures.reason(ex)));
		});
	}

	@Override
	protected CompletableFuture<Void> refreshView() {
		GetOption option = GetOption.builder().isPrefix(true).build();
		long sent = nanoTime();
		return quietWhenClosed(() -> this.client.getKVClient().get(bytes(this.prefix), option))
			.thenAccept((get) -> updateView(get, sent));
	}

	@Override
	protected List<MemberAnnouncement> announcedMembers() {
		return this.view.members();
	}

	@Override
	protected @Nullable LeaderInfo observedLeader() {
		return this.view.leader();
	}

	private void updateView(GetResponse response, long sent) {
		long revision = response.getHeader().getRevision();
		List<MemberAnnouncement> members = new ArrayList<>();
		Set<Long> candidateLeases = new HashSet<>();
		List<String> keys = new ArrayList<>();
		KeyValue oldest = null;
		ElectionRecords.Candidate leaderRecord = null;
		for (KeyValue kv : response.getKvs()) {
			String key = string(kv.getKey());
			keys.add(key);
			if (key.startsWith(this.membersPrefix)) {
				MemberAnnouncement announcement = this.records.member(key, kv.getModRevision(),
						kv.getValue().getBytes());
				if (announcement != null) {
					members.add(announcement);
				}
			}
			else if (key.startsWith(this.candidatesPrefix)) {
				ElectionRecords.Candidate candidate = candidacy(kv);
				if (candidate != null) {
					candidateLeases.add(kv.getLease());
					if (oldest == null || kv.getCreateRevision() < oldest.getCreateRevision()) {
						oldest = kv;
						leaderRecord = candidate;
					}
				}
			}
		}
		this.records.retain(keys);
		LeaderInfo leader = (oldest != null && leaderRecord != null)
				? new LeaderInfo(leaderRecord.nodeId(), leaderRecord.address(), oldest.getCreateRevision()) : null;
		View next = new View(revision, sent, List.copyOf(members), leader, Set.copyOf(candidateLeases),
				(oldest != null) ? oldest.getLease() : 0);
		synchronized (this) {
			// A slow read must not overwrite a newer one.
			if (revision >= this.view.revision()) {
				this.view = next;
			}
		}
	}

	/**
	 * The candidacy under a key of the election prefix, or {@code null} (with a warning once per key) when the
	 * key is not one grpc-scale wrote: bound to a lease, named after it, holding a candidacy record.
	 */
	private ElectionRecords.@Nullable Candidate candidacy(KeyValue kv) {
		String key = string(kv.getKey());
		if (kv.getLease() == 0) {
			this.records.skip(key, kv.getModRevision(), "it is bound to no lease, so no candidate's session holds it");
			return null;
		}
		if (!key.equals(this.candidatesPrefix + Long.toHexString(kv.getLease()))) {
			this.records.skip(key, kv.getModRevision(), "its name is not the id of its lease");
			return null;
		}
		return this.records.candidate(key, kv.getModRevision(), kv.getValue().getBytes());
	}

	private CompletableFuture<Void> announce(EtcdSession session) {
		LeaderElectionSettings settings = settings();
		Announcement announcement = new Announcement(settings.nodeId(), settings.address(),
				settings.clock().instant().toString());
		PutOption option = PutOption.builder().withLeaseId(session.leaseId()).build();
		return this.client.getKVClient().put(this.memberKey, bytes(write(announcement)), option).thenApply((put) -> null);
	}

	/**
	 * Sends a request; when the jetcd client was closed under the election (its executor refuses the request
	 * or its retry), the failure becomes one line, "the etcd client is closed", instead of the executor's stack.
	 */
	private static <T> CompletableFuture<T> quietWhenClosed(Supplier<CompletableFuture<T>> request) {
		return EtcdFailures.sent(request).handle((value, ex) -> {
			if (ex == null) {
				return value;
			}
			if (EtcdFailures.isClientClosed(ex)) {
				throw new CompletionException(EtcdFailures.quiet(EtcdFailures.reason(ex)));
			}
			throw (ex instanceof CompletionException completion) ? completion : new CompletionException(ex);
		});
	}

	private static String write(Object value) {
		return json.writeValueAsString(value);
	}

	private static ByteSequence bytes(String value) {
		return ByteSequence.from(value, StandardCharsets.UTF_8);
	}

	private static String string(ByteSequence value) {
		return value.toString(StandardCharsets.UTF_8);
	}

	/** A watcher registered with the election until closed, whichever of setting and closing comes first. */
	private final class CandidatesWatch {

		private Watch.@Nullable Watcher watcher;

		private boolean closed;

		synchronized void set(Watch.Watcher watcher) {
			if (this.closed) {
				watcher.close();
				return;
			}
			this.watcher = watcher;
			EtcdLeaderElection.this.watchers.add(watcher);
		}

		synchronized void close() {
			this.closed = true;
			Watch.Watcher current = this.watcher;
			if (current != null) {
				EtcdLeaderElection.this.watchers.remove(current);
				current.close();
				this.watcher = null;
			}
		}

	}

	/** The JSON of a member key. */
	record Announcement(String nodeId, String address, String lastHeartbeat) {
	}

	/** The JSON of a candidacy key. */
	record Candidate(String nodeId, String address) {
	}

	private record View(long revision, long sentNanos, List<MemberAnnouncement> members, @Nullable LeaderInfo leader,
			Set<Long> candidateLeases, long oldestLease) {
	}

}
