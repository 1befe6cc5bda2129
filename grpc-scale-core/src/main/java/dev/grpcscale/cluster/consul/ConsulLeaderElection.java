package dev.grpcscale.cluster.consul;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.AbstractLeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeaderInfo;
import dev.grpcscale.cluster.MemberAnnouncement;
import dev.grpcscale.cluster.internal.ElectionRecords;
import dev.grpcscale.cluster.internal.ElectionTimer;
import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.consul.ConsulConnection;

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
 *
 * <p>Inside, the sessions and this node's announcement are {@code ConsulSessions}, the leader key and its fencing
 * token {@code ConsulLeaderLock}, the members and leader as read {@code ConsulElectionView} and the blocking reads
 * of the leader key {@code ConsulLeaderWatch}; this class ties them to the lease engine.
 */
public final class ConsulLeaderElection extends AbstractLeaderElection<ConsulSession> {

	private static final Logger logger = LoggerFactory.getLogger(ConsulLeaderElection.class);

	/** Consul's minimum session TTL. */
	static final Duration MIN_TTL = Duration.ofSeconds(10);

	/** Consul's maximum lock delay. */
	static final Duration MAX_LOCK_DELAY = Duration.ofSeconds(60);

	private final ConsulClient client;

	private final boolean ownsClient;

	private final ConsulConnection connection;

	private final Duration lockDelay;

	private final Duration ttl;

	private final ConsulElectionKeys keys;

	private final AtomicBoolean closed = new AtomicBoolean();

	private final ConsulElectionView view;

	private final ConsulSessions sessions;

	private final ConsulLeaderLock lock;

	private final ConsulLeaderWatch watch;

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
		this.keys = ConsulElectionKeys.of(settings);
		this.view = new ConsulElectionView(client, this.keys, new ElectionRecords(logger,
				"Node " + settings.nodeId() + " of election '" + settings.qualifiedName() + "'"));
		ElectionTimer timer = new ElectionTimer(scheduler());
		this.lock = new ConsulLeaderLock(client, this.keys, settings, this.view, timer, this.closed::get);
		this.sessions = new ConsulSessions(client, this.keys, settings, this.ttl, lockDelay, this.lock);
		this.watch = new ConsulLeaderWatch(client, this.keys, settings, this.view, timer);
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
		return this.keys.prefix();
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
		this.watch.start();
	}

	/** Stops the blocking reads of the leader key, and leaves. */
	@Override
	public void leave() {
		this.watch.stop();
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
			this.watch.stop();
			if (this.ownsClient) {
				this.client.close();
			}
		}
	}

	@Override
	public String toString() {
		return "ConsulLeaderElection[node=" + settings().nodeId() + ", key=" + this.keys.prefix() + ", agent="
				+ this.client.agentUri() + ", aclToken=" + ((this.connection.token() != null) ? "(set)" : "(none)") + "]";
	}

	// ---- backend ----

	@Override
	protected String provider() {
		return "consul";
	}

	@Override
	protected CompletableFuture<ConsulSession> openSession() {
		return this.sessions.open();
	}

	@Override
	protected CompletableFuture<Boolean> renewSession(ConsulSession session) {
		return this.sessions.renew(session);
	}

	@Override
	protected CompletableFuture<Long> campaign(ConsulSession session) {
		return this.lock.acquire(session);
	}

	@Override
	protected CompletableFuture<Void> closeSession(ConsulSession session) {
		return this.sessions.close(session);
	}

	@Override
	protected CompletableFuture<Void> refreshView() {
		return this.view.refresh();
	}

	@Override
	protected List<MemberAnnouncement> announcedMembers() {
		return this.view.members();
	}

	@Override
	protected @Nullable LeaderInfo observedLeader() {
		return this.view.leader();
	}

	/** The session TTL for an election timeout: in whole seconds, rounded up, at least {@link #MIN_TTL}. */
	static Duration ttl(Duration electionTimeout) {
		long seconds = (electionTimeout.toMillis() + 999) / 1000;
		Duration ttl = Duration.ofSeconds(Math.max(1, seconds));
		return (ttl.compareTo(MIN_TTL) < 0) ? MIN_TTL : ttl;
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
