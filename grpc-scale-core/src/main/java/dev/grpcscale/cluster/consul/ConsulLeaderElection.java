package dev.grpcscale.cluster.consul;

import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import dev.grpcscale.cluster.AbstractLeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeaderInfo;
import dev.grpcscale.cluster.MemberAnnouncement;
import dev.grpcscale.cluster.internal.ElectionRecords;
import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.consul.internal.QueryRateLimiter;

/**
 * Leader election and membership on Consul: a session per node and KV {@code acquire}, over the agent's HTTP
 * API through a {@link ConsulClient}: the application's, shared with {@code ConsulServiceRegistry}
 * ({@link Builder#client(ConsulClient)}, not closed by the election), or one of its own built on
 * {@link Builder#connection(ConsulConnection)} and closed with it.
 *
 * <pre>{@code
 * ConsulLeaderElection election = ConsulLeaderElection.builder()
 *     .connection(ConsulConnection.builder().host("127.0.0.1").port(8500).token(aclToken).build())
 *     .settings(LeaderElectionSettings.builder().nodeId("orders-1").address("10.0.0.7:9090").build())
 *     .build();
 * election.join();
 * }</pre>
 *
 * <p><b>Session.</b> {@code PUT /v1/session/create} with {@code TTL} = {@code electionTimeout} rounded up to
 * whole seconds and at least {@code 10s} (Consul rejects shorter TTLs; a shorter election timeout still
 * governs when this node stops claiming leadership, so raising the TTL only delays the next leader),
 * {@code Behavior: delete}, the configured {@code LockDelay}, and {@code Checks: []}: the session is bound to
 * no health check, only to its TTL, so Consul invalidates it only when the TTL runs out or someone destroys
 * it, never because the agent's {@code serfHealth} flapped while this node still renews. The session is
 * renewed every {@code heartbeatInterval} with {@code PUT /v1/session/renew/<id>}; a confirmed renewal counts
 * from when it was sent (see {@link AbstractLeaderElection}); 404 means the session is gone. Consul may wait
 * up to twice the TTL before it invalidates a silent session, so a crashed leader is replaced after between
 * one and two TTLs (plus the lock delay); this node itself stops claiming leadership
 * {@code electionTimeout - safetyMargin} after its last confirmed renewal was sent, earlier than Consul can
 * invalidate the session.
 *
 * <p><b>Keys</b>, under {@code <namespace>/cluster/<electionName>/}:
 * <ul>
 * <li>{@code leader}: campaigning is {@code PUT /v1/kv/<prefix>leader?acquire=<session>} with
 * {@code {"nodeId":..,"address":..}}; a node that did not get it tries again when a blocking read of the key
 * sees it change, or every heartbeat interval (every quarter second while the key looks free, as during a
 * lock delay). The leader never rewrites the key while it leads.</li>
 * <li>{@code members/<nodeId>}: this node's announcement {@code {"nodeId":..,"address":..,"lastHeartbeat":..}},
 * acquired by the session (so it goes with it) and rewritten on every renewal.</li>
 * </ul>
 *
 * <p><b>Fencing token: the leader key's {@code ModifyIndex}</b> at its acquisition, read back
 * ({@code consistent}) to check the session holds it. Not {@code LockIndex}: that counts the acquisitions of
 * one key and restarts at 1 when the key is deleted, which {@code Behavior: delete} does whenever a leader's
 * session is invalidated (and an operator may do any time), so it does not only grow across leaders.
 * {@code ModifyIndex} is the Raft index of the key's last write: the next leader's acquisition is a later
 * write than anything before it, deleted key or not, so it is higher than every earlier leader's token.
 *
 * <p><b>Lock delay</b> (default: {@link #minimumLockDelay} rounded up to whole seconds, 13.5s rounded to 14s
 * with the defaults; Consul's own default is 15s): after a session is invalidated, Consul lets no other session
 * acquire its keys for that long. It guards against a session invalidated behind its holder's back: with
 * TTL-only sessions that is only an operator's {@code session/destroy}. The holder learns it at its next
 * renewal, a {@code heartbeatInterval} plus a round trip (bounded by the connection's request timeout) later,
 * and stops claiming leadership {@code leaseValidity} after its last confirmed renewal at the latest; so a lock
 * delay of at least {@code min(heartbeatInterval + requestTimeout, leaseValidity)} keeps two nodes from both
 * claiming leadership, and the builder rejects a lower one. It lengthens failover after a crash by the same
 * amount (Consul applies it on TTL expiry too), but not a graceful handover: {@link #leave()} first releases
 * the keys ({@code ?release=<session>}, which sets no lock delay), then destroys the session.
 *
 * <p><b>Observing.</b> Members and leader are read ({@code GET /v1/kv/<prefix>?recurse&consistent}) every half
 * heartbeat interval; in between, a blocking read of the leader key ({@code index}/{@code wait}, rate
 * limited like discovery's) reports a new leader at once. A key whose session is gone is neither a leader nor
 * a member. Graceful leaves leave released keys behind (no session; ignored, reused on the next join).
 * A record held by a session that is not what grpc-scale writes (not JSON, a field missing or of the wrong
 * type, another node's id, over {@value ElectionRecords#MAX_VALUE_BYTES} bytes) is skipped with one warning
 * per key, and reading goes on; keys other than {@code leader} and {@code members/*} are ignored, as the
 * election acquires only the one {@code leader} key. A foreign session holding the {@code leader} key with a
 * record that is not a candidacy is reported the same way; nobody leads until it lets the key go.
 *
 * <p>The ACL token is sent as the {@code X-Consul-Token} header only; it is never logged, shown by
 * {@link #clusterInfo()} or {@link #toString()}. HTTP runs on the client's threads; a failed blocking read of the
 * leader key is restarted with jittered exponential backoff (from 250ms up to the heartbeat interval) on the
 * election's scheduler.
 */
public final class ConsulLeaderElection extends AbstractLeaderElection<ConsulSession> {

	private static final Logger logger = LoggerFactory.getLogger(ConsulLeaderElection.class);

	private static final JsonMapper json = JsonMapper.shared();

	/** Consul's minimum session TTL. */
	static final Duration MIN_TTL = Duration.ofSeconds(10);

	/** Consul's maximum lock delay. */
	static final Duration MAX_LOCK_DELAY = Duration.ofSeconds(60);

	/** {@code wait} of the blocking reads of the leader key. */
	static final Duration WATCH_WAIT = Duration.ofSeconds(10);

	private static final Duration FREE_KEY_RETRY = Duration.ofMillis(250);

	/** First pause before restarting a failed blocking read of the leader key. */
	static final Duration WATCH_INITIAL_BACKOFF = Duration.ofMillis(250);

	private final ConsulClient client;

	private final boolean ownsClient;

	private final ConsulConnection connection;

	private final Duration lockDelay;

	private final Duration ttl;

	private final String prefix;

	private final String leaderKey;

	private final String membersPrefix;

	private final String memberKey;

	private final AtomicBoolean closed = new AtomicBoolean();

	private final AtomicLong watchGeneration = new AtomicLong();

	private final AtomicReference<CompletableFuture<Void>> leaderKeyChanged = new AtomicReference<>(
			new CompletableFuture<>());

	private volatile View view = new View(-1, List.of(), null);

	private final ElectionRecords records;

	private ConsulLeaderElection(LeaderElectionSettings settings, ConsulClient client, boolean ownsClient,
			Duration lockDelay) {
		super(settings);
		this.client = client;
		this.ownsClient = ownsClient;
		this.connection = client.connection();
		this.lockDelay = lockDelay;
		this.ttl = ttl(settings.electionTimeout());
		if (this.ttl.compareTo(settings.electionTimeout()) > 0) {
			logger.info("Consul session TTL of node {} is {} instead of electionTimeout {} (Consul's minimum is {}): "
					+ "this node still stops claiming leadership after {}, but a crashed leader is replaced only "
					+ "after {} to {}", settings.nodeId(), this.ttl, settings.electionTimeout(), MIN_TTL,
					settings.leaseValidity(), this.ttl, this.ttl.multipliedBy(2));
		}
		String namespace = strip(settings.namespace());
		this.prefix = (namespace.isEmpty() ? "" : namespace + "/") + "cluster/" + settings.electionName() + "/";
		this.leaderKey = this.prefix + "leader";
		this.membersPrefix = this.prefix + "members/";
		this.memberKey = this.membersPrefix + settings.nodeId();
		this.records = new ElectionRecords(logger,
				"Node " + settings.nodeId() + " of election '" + settings.qualifiedName() + "'");
	}

	/** Starts a builder; see {@link Builder} for the defaults. */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * An election on the agent at {@code host:port} over plain HTTP, other settings at their defaults.
	 * @param host the agent's host
	 * @param port the agent's HTTP port
	 * @param settings the election settings
	 * @return the election, not joined yet
	 * @throws IllegalArgumentException if the host or port is invalid
	 */
	public static ConsulLeaderElection of(String host, int port, LeaderElectionSettings settings) {
		return builder().connection(ConsulConnection.of(host, port)).settings(settings).build();
	}

	/** The key prefix of this election: {@code <namespace>/cluster/<electionName>/}. */
	public String keyPrefix() {
		return this.prefix;
	}

	/** The TTL of this election's sessions: {@code electionTimeout} in whole seconds, at least 10s. */
	public Duration sessionTtl() {
		return this.ttl;
	}

	/** The lock delay of this election's sessions. */
	public Duration lockDelay() {
		return this.lockDelay;
	}

	/**
	 * The lowest lock delay that keeps two nodes from claiming leadership at once when a leader's session is
	 * destroyed behind its back: {@code min(heartbeatInterval + requestTimeout, leaseValidity)}, at most
	 * Consul's maximum of 60s. The leader learns of the destroyed session at its next renewal, sent a heartbeat
	 * interval after the previous one and answered within the connection's request timeout; and whatever
	 * happens it stops claiming leadership {@code leaseValidity} after its last confirmed renewal was sent.
	 * @param settings the election settings
	 * @param connection the agent connection
	 * @return the minimum lock delay
	 */
	public static Duration minimumLockDelay(LeaderElectionSettings settings, ConsulConnection connection) {
		Duration notice = settings.heartbeatInterval().plus(connection.requestTimeout());
		Duration minimum = (notice.compareTo(settings.leaseValidity()) < 0) ? notice : settings.leaseValidity();
		return (minimum.compareTo(MAX_LOCK_DELAY) > 0) ? MAX_LOCK_DELAY : minimum;
	}

	/** Joins, and starts the blocking reads of the leader key. */
	@Override
	public void join() {
		super.join();
		startWatch();
	}

	/** Stops the blocking reads of the leader key, and leaves. */
	@Override
	public void leave() {
		this.watchGeneration.incrementAndGet();
		super.leave();
	}

	/** Leaves, then closes the client if the election built it (a given client is left open). Idempotent. */
	@Override
	public void close() {
		if (!this.closed.compareAndSet(false, true)) {
			return;
		}
		try {
			super.close();
		}
		finally {
			this.watchGeneration.incrementAndGet();
			if (this.ownsClient) {
				this.client.close();
			}
		}
	}

	@Override
	public String toString() {
		return "ConsulLeaderElection[node=" + settings().nodeId() + ", key=" + this.prefix + ", agent="
				+ this.client.agentUri() + ", aclToken=" + ((this.connection.token() != null) ? "(set)" : "(none)") + "]";
	}

	// ---- backend ----

	@Override
	protected String provider() {
		return "consul";
	}

	@Override
	protected CompletableFuture<ConsulSession> openSession() {
		return this.client.session()
			.create("grpc-scale " + this.prefix + " " + settings().nodeId(), this.ttl, this.lockDelay)
			.thenApply((id) -> {
				ConsulSession session = new ConsulSession(id);
				// The first announcement may find the member key still held by this node's previous session,
				// which is being closed: every renewal announces again.
				announce(session);
				return session;
			});
	}

	@Override
	protected CompletableFuture<Boolean> renewSession(ConsulSession session) {
		return this.client.session().renew(session.id()).thenApply((renewed) -> {
			if (renewed) {
				announce(session);
			}
			return renewed;
		});
	}

	@Override
	protected CompletableFuture<Long> campaign(ConsulSession session) {
		CompletableFuture<Long> result = new CompletableFuture<>();
		attempt(session, result);
		return result;
	}

	private void attempt(ConsulSession session, CompletableFuture<Long> result) {
		if (result.isDone() || session.isEnded() || this.closed.get()) {
			result.completeExceptionally(new IllegalStateException(session + " ended"));
			return;
		}
		CompletableFuture<Void> changed = this.leaderKeyChanged.get();
		byte[] candidate = json.writeValueAsBytes(new Candidate(settings().nodeId(), settings().address()));
		this.client.kv()
			.acquire(this.leaderKey, session.id(), candidate)
			.thenCompose((acquired) -> {
				if (!acquired) {
					return CompletableFuture.completedFuture((Long) null);
				}
				return this.client.kv().get(this.leaderKey).thenApply((read) -> {
					ConsulClient.KvEntry entry = read.first();
					if (entry == null || !session.id().equals(entry.session())) {
						throw new IllegalStateException("acquired " + this.leaderKey + ", but session "
								+ session.id() + " no longer holds it");
					}
					return entry.modifyIndex();
				});
			})
			.whenComplete((token, ex) -> {
				if (ex != null) {
					result.completeExceptionally(ex);
				}
				else if (token != null) {
					result.complete(token);
				}
				else {
					// Held by another session, or in its lock delay: try again when the key changes, or later.
					Duration delay = (this.view.leader() == null) ? FREE_KEY_RETRY : settings().heartbeatInterval();
					CompletableFuture<Void> later = new CompletableFuture<>();
					schedule(() -> later.complete(null), delay);
					CompletableFuture.anyOf(changed, later).whenComplete((ignored, ignoredEx) -> {
						if (!result.isDone()) {
							attempt(session, result);
						}
					});
				}
			});
	}

	@Override
	protected CompletableFuture<Void> closeSession(ConsulSession session) {
		session.end();
		// Releasing first sets no lock delay on the keys; destroying the session then removes nothing of ours.
		return this.client.kv()
			.release(this.leaderKey, session.id())
			.thenCompose((ignored) -> this.client.kv().release(this.memberKey, session.id()))
			.handle((ignored, ex) -> {
				if (ex != null) {
					logger.debug("Node {}: releasing keys of {} failed; destroying it", settings().nodeId(), session,
							ex);
				}
				return null;
			})
			.thenCompose((ignored) -> this.client.session().destroy(session.id()));
	}

	@Override
	protected CompletableFuture<Void> refreshView() {
		return this.client.kv().list(this.prefix).thenAccept((read) -> {
			this.records.retain(read.entries().stream().map(ConsulClient.KvEntry::key).toList());
			List<MemberAnnouncement> members = new ArrayList<>();
			LeaderInfo leader = null;
			for (ConsulClient.KvEntry entry : read.entries()) {
				if (entry.session().isEmpty()) {
					continue;
				}
				if (entry.key().startsWith(this.membersPrefix)) {
					MemberAnnouncement announcement = this.records.member(entry.key(), entry.modifyIndex(),
							entry.value().getBytes(StandardCharsets.UTF_8));
					if (announcement != null) {
						members.add(announcement);
					}
				}
				else if (entry.key().equals(this.leaderKey)) {
					leader = leaderOf(entry);
				}
			}
			long index = read.index();
			LeaderInfo observed = leader;
			update(index, (current) -> new View(index, List.copyOf(members), observed));
		});
	}

	@Override
	protected List<MemberAnnouncement> announcedMembers() {
		return this.view.members();
	}

	@Override
	protected @Nullable LeaderInfo observedLeader() {
		return this.view.leader();
	}

	// ---- the blocking reads of the leader key ----

	private void startWatch() {
		long generation = this.watchGeneration.incrementAndGet();
		QueryRateLimiter limiter = new QueryRateLimiter(
				Math.min(settings().heartbeatInterval().toNanos(), Duration.ofSeconds(1).toNanos()), this::nanoTime);
		watch(generation, limiter, 0);
	}

	private void watch(long generation, QueryRateLimiter limiter, long index) {
		if (this.watchGeneration.get() != generation) {
			return;
		}
		long wait = limiter.reserve();
		if (wait > 0) {
			schedule(() -> watchNow(generation, limiter, index), Duration.ofNanos(wait));
		}
		else {
			watchNow(generation, limiter, index);
		}
	}

	private void watchNow(long generation, QueryRateLimiter limiter, long index) {
		if (this.watchGeneration.get() != generation) {
			return;
		}
		Duration maxBackoff = settings().heartbeatInterval().compareTo(WATCH_INITIAL_BACKOFF) > 0
				? settings().heartbeatInterval() : WATCH_INITIAL_BACKOFF;
		this.client.retryUntilSuccess(() -> {
			if (this.watchGeneration.get() != generation) {
				// stopped: end the retries with a result nobody reads
				return CompletableFuture.completedFuture((ConsulClient.KvEntries) null);
			}
			return this.client.kv().blockingGet(this.leaderKey, index, WATCH_WAIT);
		}, WATCH_INITIAL_BACKOFF, maxBackoff, (ex) -> logger.debug("Node {}: blocking read of {} failed: {}",
				settings().nodeId(), this.leaderKey, ex.toString()))
			.whenComplete((read, ex) -> {
				if (this.watchGeneration.get() != generation || ex != null || read == null) {
					return;
				}
				long next = read.index();
				// Consul's guidance: an index that went backwards (or is missing) restarts the read from scratch.
				if (next < index || next <= 0) {
					watch(generation, limiter, 0);
					return;
				}
				if (next != index) {
					ConsulClient.KvEntry entry = read.first();
					LeaderInfo leader = (entry != null && !entry.session().isEmpty()) ? leaderOf(entry) : null;
					update(next, (current) -> new View(next, current.members(), leader));
					this.leaderKeyChanged.getAndSet(new CompletableFuture<>()).complete(null);
				}
				watch(generation, limiter, next);
			});
	}

	// ---- helpers ----

	/** Rewrites this node's member key; failures are left to the next renewal. */
	private void announce(ConsulSession session) {
		LeaderElectionSettings settings = settings();
		byte[] body = json.writeValueAsBytes(
				new Announcement(settings.nodeId(), settings.address(), settings.clock().instant().toString()));
		this.client.kv().acquire(this.memberKey, session.id(), body).whenComplete((acquired, ex) -> {
			if (ex != null || !acquired) {
				logger.debug("Node {}: announcing under {} failed ({}); trying again at the next renewal",
						settings.nodeId(), this.memberKey, (ex != null) ? ex.toString() : "held by another session");
			}
		});
	}

	private synchronized void update(long index, java.util.function.UnaryOperator<View> next) {
		// A slow read must not overwrite a newer one.
		if (index >= this.view.index()) {
			this.view = next.apply(this.view);
		}
	}

	private @Nullable LeaderInfo leaderOf(ConsulClient.KvEntry entry) {
		ElectionRecords.Candidate candidate = this.records.candidate(entry.key(), entry.modifyIndex(),
				entry.value().getBytes(StandardCharsets.UTF_8));
		return (candidate != null) ? new LeaderInfo(candidate.nodeId(), candidate.address(), entry.modifyIndex())
				: null;
	}

	private void schedule(Runnable task, Duration delay) {
		try {
			scheduler().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// closed
		}
	}

	static Duration ttl(Duration electionTimeout) {
		long seconds = (electionTimeout.toMillis() + 999) / 1000;
		Duration ttl = Duration.ofSeconds(Math.max(1, seconds));
		return (ttl.compareTo(MIN_TTL) < 0) ? MIN_TTL : ttl;
	}

	private static String strip(String namespace) {
		String stripped = namespace;
		while (stripped.startsWith("/")) {
			stripped = stripped.substring(1);
		}
		while (stripped.endsWith("/")) {
			stripped = stripped.substring(0, stripped.length() - 1);
		}
		return stripped;
	}

	/** The JSON of a member key. */
	record Announcement(String nodeId, String address, String lastHeartbeat) {
	}

	/** The JSON of the leader key. */
	record Candidate(String nodeId, String address) {
	}

	private record View(long index, List<MemberAnnouncement> members, @Nullable LeaderInfo leader) {
	}

	/**
	 * Builder for {@link ConsulLeaderElection}. Setters check their argument at once and throw
	 * {@link IllegalArgumentException} naming the setting, the value and what is expected.
	 */
	public static final class Builder {

		private @Nullable ConsulConnection connection;

		private @Nullable ConsulClient client;

		private @Nullable Duration lockDelay;

		private @Nullable LeaderElectionSettings settings;

		private Builder() {
		}

		/**
		 * The Consul agent, its TLS settings, ACL token and request timeout; default
		 * {@code http://localhost:8500}, no token, request timeout 10s. The election builds a {@link ConsulClient}
		 * of its own on it and closes it; excludes {@link #client(ConsulClient)}.
		 */
		public Builder connection(ConsulConnection connection) {
			this.connection = Objects.requireNonNull(connection, "connection");
			return this;
		}

		/**
		 * The application's Consul client, shared with other users such as the service registry; the election
		 * neither configures nor closes it (close it after the election). Excludes
		 * {@link #connection(ConsulConnection)}. Default: a client of the election's own on the connection.
		 */
		public Builder client(ConsulClient client) {
			this.client = Objects.requireNonNull(client, "client");
			return this;
		}

		/**
		 * {@code LockDelay} of the sessions: after a session is invalidated, how long Consul keeps its keys
		 * from being acquired. Default: {@link ConsulLeaderElection#minimumLockDelay(LeaderElectionSettings,
		 * ConsulConnection) the minimum} the settings and connection allow, rounded up to whole seconds; a
		 * lower value is rejected by {@link #build()} (see the class notes).
		 * @throws IllegalArgumentException if negative or above 60s, Consul's maximum
		 */
		public Builder lockDelay(Duration lockDelay) {
			Objects.requireNonNull(lockDelay, "lockDelay");
			if (lockDelay.isNegative() || lockDelay.compareTo(MAX_LOCK_DELAY) > 0) {
				throw new IllegalArgumentException(
						"lockDelay: " + lockDelay + " (expected: >= 0 and <= " + MAX_LOCK_DELAY + ", Consul's maximum)");
			}
			this.lockDelay = lockDelay;
			return this;
		}

		/** The election settings; required. */
		public Builder settings(LeaderElectionSettings settings) {
			this.settings = Objects.requireNonNull(settings, "settings");
			return this;
		}

		/**
		 * Builds the election, not joined yet.
		 * @throws IllegalArgumentException if the settings are missing or do not fit together, or the lock
		 * delay is below {@link ConsulLeaderElection#minimumLockDelay(LeaderElectionSettings, ConsulConnection)}
		 */
		public ConsulLeaderElection build() {
			LeaderElectionSettings settings = this.settings;
			if (settings == null) {
				throw new IllegalArgumentException("settings: null (expected: LeaderElectionSettings)");
			}
			if (this.client != null && this.connection != null) {
				throw new IllegalArgumentException(
						"client: given together with a connection (expected: one of them; the client has its connection)");
			}
			ConsulConnection connection = (this.client != null) ? this.client.connection()
					: (this.connection != null) ? this.connection : ConsulConnection.builder().build();
			Duration lockDelay = lockDelay(settings, connection);
			if (this.client != null) {
				return new ConsulLeaderElection(settings, this.client, false, lockDelay);
			}
			return new ConsulLeaderElection(settings, ConsulClient.create(connection), true, lockDelay);
		}

		private Duration lockDelay(LeaderElectionSettings settings, ConsulConnection connection) {
			Duration minimum = minimumLockDelay(settings, connection);
			Duration configured = this.lockDelay;
			if (configured == null) {
				Duration rounded = Duration.ofSeconds((minimum.toMillis() + 999) / 1000);
				return (rounded.compareTo(MAX_LOCK_DELAY) > 0) ? MAX_LOCK_DELAY : rounded;
			}
			if (configured.compareTo(minimum) < 0) {
				throw new IllegalArgumentException("lockDelay: " + configured + " (expected: >= " + minimum
						+ " = min(heartbeatInterval " + settings.heartbeatInterval() + " + requestTimeout "
						+ connection.requestTimeout() + ", leaseValidity " + settings.leaseValidity()
						+ ") because a leader whose session is destroyed behind its back notices only at its next "
						+ "renewal, a heartbeat plus a round trip later, and stops claiming leadership after "
						+ "leaseValidity at the latest; a shorter delay lets another node lead meanwhile)");
			}
			return configured;
		}

	}

}
