package dev.grpcscale.cluster.etcd;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

import tools.jackson.databind.json.JsonMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import dev.grpcscale.cluster.AbstractLeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeaderInfo;
import dev.grpcscale.cluster.MemberAnnouncement;

/**
 * Leader election and membership on etcd, on jetcd's {@code Election} API and a lease.
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
 * <li>{@code <namespace>/cluster/<name>/election/<lease id in hex>}: the candidacy etcd's election service
 * creates, JSON {@code {"nodeId":..,"address":..}}. The oldest candidacy leads; its create revision is the
 * fencing token, which grows from leader to leader because every key existing while a leader leads was
 * created after its own.</li>
 * </ul>
 * A crashed node's keys vanish when its lease expires; {@link #leave()} revokes the lease, which removes
 * both keys at once. Members and the leader are read (linearizably) every half heartbeat interval.
 *
 * <p>The jetcd {@link Client} belongs to the caller: this class never closes it.
 */
public final class EtcdLeaderElection extends AbstractLeaderElection<EtcdSession> {

	private static final Logger logger = LoggerFactory.getLogger(EtcdLeaderElection.class);

	private static final JsonMapper json = JsonMapper.shared();

	private final Client client;

	private final long ttlSeconds;

	private final String prefix;

	private final ByteSequence electionName;

	private final String candidatesPrefix;

	private final String membersPrefix;

	private final ByteSequence memberKey;

	private final AtomicBoolean warnedTtl = new AtomicBoolean();

	private volatile View view = new View(-1, 0, List.of(), null, Set.of(), 0);

	private EtcdLeaderElection(Client client, LeaderElectionSettings settings) {
		super(settings);
		this.client = client;
		long millis = settings.electionTimeout().toMillis();
		this.ttlSeconds = Math.max(1, (millis + 999) / 1000);
		String namespace = settings.namespace().endsWith("/")
				? settings.namespace().substring(0, settings.namespace().length() - 1) : settings.namespace();
		this.prefix = namespace + "/cluster/" + settings.electionName() + "/";
		this.electionName = bytes(this.prefix + "election");
		this.candidatesPrefix = this.prefix + "election/";
		this.membersPrefix = this.prefix + "members/";
		this.memberKey = bytes(this.membersPrefix + settings.nodeId());
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
		return this.client.getLeaseClient().grant(this.ttlSeconds).thenCompose((grant) -> {
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
		return this.client.getLeaseClient().keepAliveOnce(session.leaseId()).handle((response, ex) -> {
			if (ex == null) {
				announce(session).whenComplete((ignored, putEx) -> {
					if (putEx != null) {
						logger.debug("Could not refresh the announcement of node {}", settings().nodeId(), putEx);
					}
				});
				return true;
			}
			if (isLeaseNotFound(ex)) {
				return false;
			}
			throw (ex instanceof CompletionException completion) ? completion : new CompletionException(ex);
		});
	}

	/**
	 * Campaigns. etcd's Campaign commits the candidacy key, then waits until it is the oldest; around an etcd
	 * member's crash or leader change either step can stall until etcd's request timeout (about 6 s). So,
	 * checked every heartbeat while no answer came, the attempt is repeated when its key is still not
	 * visible after {@code electionTimeout}, or when the key is already the oldest (this node should have been
	 * told) for longer than a heartbeat. Campaign on the same lease reuses the key, so attempts are
	 * idempotent; the first answer wins. A node legitimately waiting behind another leader never repeats.
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
			}, settings().heartbeatInterval().toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
		}
		catch (java.util.concurrent.RejectedExecutionException ex) {
			// closed
		}
	}

	private void campaignAttempt(EtcdSession session, CompletableFuture<Long> result) {
		campaignOnce(session).whenComplete((token, ex) -> {
			if (ex != null) {
				result.completeExceptionally(ex);
			}
			else {
				result.complete(token);
			}
		});
	}

	private CompletableFuture<Long> campaignOnce(EtcdSession session) {
		ByteSequence proposal = bytes(write(new Candidate(settings().nodeId(), settings().address())));
		return this.client.getElectionClient()
			.campaign(this.electionName, session.leaseId(), proposal)
			.thenCompose((response) -> {
				LeaderKey key = response.getLeader();
				// etcd 3.4's Campaign can return after the candidate's key was deleted: check it still stands.
				return this.client.getKVClient().get(key.getKey()).thenApply((get) -> {
					KeyValue kv = get.getKvs().isEmpty() ? null : get.getKvs().get(0);
					if (kv == null || kv.getLease() != session.leaseId() || kv.getCreateRevision() != key.getRevision()) {
						throw new IllegalStateException("elected, but the candidacy key " + string(key.getKey())
								+ " no longer stands");
					}
					return key.getRevision();
				});
			});
	}

	@Override
	protected CompletableFuture<Void> closeSession(EtcdSession session) {
		return this.client.getLeaseClient().revoke(session.leaseId()).handle((response, ex) -> {
			if (ex != null && !isLeaseNotFound(ex)) {
				throw (ex instanceof CompletionException completion) ? completion : new CompletionException(ex);
			}
			return null;
		});
	}

	@Override
	protected CompletableFuture<Void> refreshView() {
		GetOption option = GetOption.builder().isPrefix(true).build();
		long sent = nanoTime();
		return this.client.getKVClient().get(bytes(this.prefix), option).thenAccept((get) -> updateView(get, sent));
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
		KeyValue oldest = null;
		for (KeyValue kv : response.getKvs()) {
			String key = string(kv.getKey());
			if (key.startsWith(this.membersPrefix)) {
				Announcement announcement = read(kv, Announcement.class);
				if (announcement != null) {
					members.add(new MemberAnnouncement(announcement.nodeId(), announcement.address(),
							Instant.parse(announcement.lastHeartbeat())));
				}
			}
			else if (key.startsWith(this.candidatesPrefix)) {
				candidateLeases.add(kv.getLease());
				if (oldest == null || kv.getCreateRevision() < oldest.getCreateRevision()) {
					oldest = kv;
				}
			}
		}
		LeaderInfo leader = null;
		if (oldest != null) {
			Candidate candidate = read(oldest, Candidate.class);
			leader = (candidate != null) ? new LeaderInfo(candidate.nodeId(), candidate.address(),
					oldest.getCreateRevision()) : null;
		}
		View next = new View(revision, sent, List.copyOf(members), leader, Set.copyOf(candidateLeases),
				(oldest != null) ? oldest.getLease() : 0);
		synchronized (this) {
			// A slow read must not overwrite a newer one.
			if (revision >= this.view.revision()) {
				this.view = next;
			}
		}
	}

	private CompletableFuture<Void> announce(EtcdSession session) {
		LeaderElectionSettings settings = settings();
		Announcement announcement = new Announcement(settings.nodeId(), settings.address(),
				settings.clock().instant().toString());
		PutOption option = PutOption.builder().withLeaseId(session.leaseId()).build();
		return this.client.getKVClient().put(this.memberKey, bytes(write(announcement)), option).thenApply((put) -> null);
	}

	private static boolean isLeaseNotFound(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof EtcdException etcd && etcd.getErrorCode() == ErrorCode.NOT_FOUND) {
				return true;
			}
			String message = cause.getMessage();
			if (message != null && message.contains("requested lease not found")) {
				return true;
			}
		}
		return false;
	}

	private static String write(Object value) {
		return json.writeValueAsString(value);
	}

	private <T> @Nullable T read(KeyValue kv, Class<T> type) {
		try {
			return json.readValue(kv.getValue().getBytes(), type);
		}
		catch (RuntimeException ex) {
			logger.debug("Ignoring unreadable value under {}", string(kv.getKey()), ex);
			return null;
		}
	}

	private static ByteSequence bytes(String value) {
		return ByteSequence.from(value, StandardCharsets.UTF_8);
	}

	private static String string(ByteSequence value) {
		return value.toString(StandardCharsets.UTF_8);
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
