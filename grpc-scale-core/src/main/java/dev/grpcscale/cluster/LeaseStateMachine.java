package dev.grpcscale.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.grpc.SynchronizationContext;
import io.grpc.SynchronizationContext.ScheduledHandle;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease state machine of an {@link AbstractLeaderElection}, the rules its class description states: join
 * and leave, open a session (retrying while joined), campaign on it, count leadership from the send time of
 * the last confirmed renewal, revoke at the lease's end or when the backend shows another leader or reports
 * the session lost, then campaign again on a new session. Listeners are told through
 * {@link LeadershipListeners#fire(LeadershipEvent)}, after each transition.
 *
 * <p>Every method but the read accessors runs in the election's {@link SynchronizationContext}; the current
 * leadership, the highest token seen and the renewal counts are published for any thread.
 *
 * @param <S> the provider's session handle
 */
final class LeaseStateMachine<S> {

	/** Logs under the election engine's name, where these lines have always been logged. */
	private static final Logger logger = LoggerFactory.getLogger(AbstractLeaderElection.class);

	private final AbstractLeaderElection<S> backend;

	private final LeaderElectionSettings settings;

	private final SynchronizationContext context;

	private final ScheduledExecutorService scheduler;

	private final BackendCalls calls;

	private final LeadershipListeners listeners;

	private final long validityNanos;

	private final Duration retryDelay;

	private final AtomicLong highestToken = new AtomicLong();

	/** Confirmed renewals and their summed round trips, for meters; written in the context only. */
	private final AtomicLong renewalCount = new AtomicLong();

	private final AtomicLong renewalNanos = new AtomicLong();

	private volatile @Nullable Leadership leadership;

	// Confined to the context.

	private boolean joined;

	private @Nullable ElectionSession<S> current;

	private long generations;

	private @Nullable ScheduledHandle heartbeatTask;

	private @Nullable ScheduledHandle viewTask;

	private @Nullable ScheduledHandle retryTask;

	/** Why the last attempt to open a session failed, until one opens: a repeat is logged at debug only. */
	private @Nullable String lastOpenFailure;

	/**
	 * Creates the state machine of an election.
	 * @param backend the election whose backend calls it makes
	 * @param context the election's context
	 * @param scheduler the election's scheduler
	 * @param listeners the election's listeners
	 */
	LeaseStateMachine(AbstractLeaderElection<S> backend, SynchronizationContext context,
			ScheduledExecutorService scheduler, LeadershipListeners listeners) {
		this.backend = backend;
		this.settings = backend.settings();
		this.context = context;
		this.scheduler = scheduler;
		this.listeners = listeners;
		this.calls = new BackendCalls(this.settings, context, scheduler);
		this.validityNanos = this.settings.leaseValidity().toNanos();
		Duration heartbeat = this.settings.heartbeatInterval();
		this.retryDelay = (heartbeat.compareTo(Duration.ofSeconds(1)) < 0) ? heartbeat : Duration.ofSeconds(1);
	}

	// ---- read from any thread ----

	/** The leadership last granted or extended and not yet revoked; it may have lapsed since. */
	@Nullable Leadership leadership() {
		return this.leadership;
	}

	/** Raises the highest fencing token seen to {@code token} if it is higher. */
	void raiseToken(long token) {
		this.highestToken.accumulateAndGet(token, Math::max);
	}

	long highestToken() {
		return this.highestToken.get();
	}

	long renewalCount() {
		return this.renewalCount.get();
	}

	long renewalNanos() {
		return this.renewalNanos.get();
	}

	// ---- in the context ----

	void join() {
		if (this.joined) {
			return;
		}
		this.joined = true;
		Duration heartbeat = this.settings.heartbeatInterval();
		this.heartbeatTask = this.context.scheduleWithFixedDelay(this::heartbeat, heartbeat, heartbeat,
				this.scheduler);
		this.viewTask = this.context.scheduleWithFixedDelay(this::refresh, Duration.ZERO, heartbeat.dividedBy(2),
				this.scheduler);
		logger.info("Node {} joins election '{}' on {}", this.settings.nodeId(), this.settings.qualifiedName(),
				this.backend.provider());
		startSession();
	}

	/**
	 * Leaves: revokes (listeners are told at once) and closes the session.
	 * @return the session closed and the backend's acknowledgement, which fails when the backend could not
	 * close it
	 */
	Departure leave() {
		if (!this.joined) {
			return Departure.NONE;
		}
		this.joined = false;
		cancel(this.heartbeatTask);
		cancel(this.viewTask);
		cancel(this.retryTask);
		this.heartbeatTask = null;
		this.viewTask = null;
		this.retryTask = null;
		ElectionSession<S> session = this.current;
		logger.info("Node {} leaves election '{}'", this.settings.nodeId(), this.settings.qualifiedName());
		S handle = (session != null) ? endSession(session, "left the election") : null;
		if (handle == null) {
			return Departure.NONE;
		}
		return new Departure(String.valueOf(handle), BackendCalls.call(() -> this.backend.closeSession(handle)));
	}

	private void startSession() {
		ElectionSession<S> session = new ElectionSession<>(++this.generations, this.settings.nodeId());
		this.current = session;
		long sent = nanoTime();
		this.calls.onComplete(this.calls.withTimeout(BackendCalls.call(this.backend::openSession), "opening a session"),
				(handle, ex) -> {
					if (this.current != session) {
						if (handle != null) {
							closeQuietly(handle);
						}
						return;
					}
					if (ex != null || handle == null) {
						String reason = (ex != null) ? BackendCalls.reason(ex) : "no session";
						if (reason.equals(this.lastOpenFailure)) {
							// the same failure again (etcd still down, a client closed under the election): once is enough
							logger.debug("Node {} could not open a session for election '{}' ({}); retrying in {}",
									this.settings.nodeId(), this.settings.qualifiedName(), reason, this.retryDelay);
						}
						else {
							logger.warn("Node {} could not open a session for election '{}' ({}); retrying every {}",
									this.settings.nodeId(), this.settings.qualifiedName(), reason, this.retryDelay);
							logger.debug("Node {}: the failure of opening a session", this.settings.nodeId(), ex);
						}
						this.lastOpenFailure = reason;
						this.current = null;
						this.retryTask = this.context.schedule(() -> {
							if (this.joined && this.current == null) {
								startSession();
							}
						}, this.retryDelay, this.scheduler);
						return;
					}
					this.lastOpenFailure = null;
					session.handle = handle;
					session.confirmedSentNanos = sent;
					if (this.settings.leaderElection()) {
						campaign(session);
					}
				});
	}

	private void campaign(ElectionSession<S> session) {
		S handle = session.handle;
		if (handle == null) {
			return;
		}
		this.calls.onComplete(BackendCalls.call(() -> this.backend.campaign(handle)), (token, ex) -> {
			if (this.current != session) {
				return;
			}
			if (ex != null || token == null) {
				logger.warn("Node {}: campaign in election '{}' failed; retrying in {}", this.settings.nodeId(),
						this.settings.qualifiedName(), this.retryDelay, ex);
				this.context.schedule(() -> {
					if (this.current == session) {
						campaign(session);
					}
				}, this.retryDelay, this.scheduler);
				return;
			}
			elected(session, token);
		});
	}

	private void elected(ElectionSession<S> session, long token) {
		long now = nanoTime();
		long validUntil = session.confirmedSentNanos + this.validityNanos;
		if (now - validUntil >= 0) {
			restartSession(session, "elected with token " + token + " after the lease lapsed");
			return;
		}
		Leadership granted = new Leadership(token, now, validUntil);
		session.leadership = granted;
		raiseToken(token);
		this.leadership = granted;
		scheduleExpiryCheck(session);
		logger.info("Node {} is leader of election '{}' with fencing token {}", this.settings.nodeId(),
				this.settings.qualifiedName(), token);
		this.listeners.fire(
				new LeadershipEvent(LeadershipEvent.Type.GRANTED, this.settings.nodeId(), token, now, validUntil));
	}

	private void heartbeat() {
		ElectionSession<S> session = this.current;
		S handle = (session != null) ? session.handle : null;
		if (session == null || handle == null) {
			return;
		}
		long sent = nanoTime();
		this.calls.onComplete(
				this.calls.withTimeout(BackendCalls.call(() -> this.backend.renewSession(handle)), "renewing the lease"),
				(alive, ex) -> {
					if (this.current != session) {
						return;
					}
					if (ex != null || alive == null) {
						logger.debug("Node {}: lease renewal failed", this.settings.nodeId(), ex);
						return;
					}
					if (!alive) {
						restartSession(session, "the backend reported the session lost");
						return;
					}
					this.renewalNanos.addAndGet(Math.max(0, nanoTime() - sent));
					this.renewalCount.incrementAndGet();
					renewed(session, sent);
				});
	}

	private void renewed(ElectionSession<S> session, long sent) {
		long now = nanoTime();
		Leadership held = session.leadership;
		if (held != null && !held.isValidAt(now)) {
			// Never resurrect a lapsed leadership: another node may have been elected meanwhile.
			restartSession(session, "no confirmed renewal within " + this.settings.leaseValidity());
			return;
		}
		if (sent - session.confirmedSentNanos > 0) {
			session.confirmedSentNanos = sent;
		}
		if (held != null) {
			long validUntil = session.confirmedSentNanos + this.validityNanos;
			if (validUntil - held.validUntilNanos() > 0) {
				Leadership extended = new Leadership(held.fencingToken(), held.grantedAtNanos(), validUntil);
				session.leadership = extended;
				this.leadership = extended;
				scheduleExpiryCheck(session);
				this.listeners.fire(new LeadershipEvent(LeadershipEvent.Type.RENEWED, this.settings.nodeId(),
						held.fencingToken(), now, validUntil));
			}
		}
	}

	private void scheduleExpiryCheck(ElectionSession<S> session) {
		cancel(session.expiryCheck);
		Leadership held = session.leadership;
		if (held == null) {
			return;
		}
		long delay = Math.max(0, held.validUntilNanos() - nanoTime());
		session.expiryCheck = this.context.schedule(() -> checkExpiry(session), delay, TimeUnit.NANOSECONDS,
				this.scheduler);
	}

	private void checkExpiry(ElectionSession<S> session) {
		Leadership held = session.leadership;
		if (this.current != session || held == null) {
			return;
		}
		if (held.isValidAt(nanoTime())) {
			scheduleExpiryCheck(session);
			return;
		}
		restartSession(session, "no confirmed renewal within " + this.settings.leaseValidity());
	}

	private void refresh() {
		ElectionSession<S> session = this.current;
		long sent = nanoTime();
		this.calls.onComplete(this.calls.withTimeout(BackendCalls.call(this.backend::refreshView), "reading the cluster"),
				(ignored, ex) -> {
					if (ex != null) {
						logger.debug("Node {}: reading the cluster failed", this.settings.nodeId(), ex);
						return;
					}
					LeaderInfo observed = this.backend.observedLeader();
					if (observed != null) {
						raiseToken(observed.fencingToken());
					}
					Leadership held = (session != null) ? session.leadership : null;
					if (session != null && this.current == session && held != null && sent - held.grantedAtNanos() > 0
							&& (observed == null || observed.fencingToken() != held.fencingToken())) {
						restartSession(session, "the backend shows leader " + observed + " instead of this node");
					}
				});
	}

	private void restartSession(ElectionSession<S> session, String reason) {
		S handle = endSession(session, reason);
		if (handle != null) {
			closeQuietly(handle);
		}
		if (this.joined && this.current == null) {
			startSession();
		}
	}

	/** Ends the session: revokes its leadership (listeners told); returns its handle, for the caller to close. */
	private @Nullable S endSession(ElectionSession<S> session, String reason) {
		if (this.current == session) {
			this.current = null;
		}
		cancel(session.expiryCheck);
		session.expiryCheck = null;
		Leadership held = session.leadership;
		session.leadership = null;
		if (held != null) {
			this.leadership = null;
			logger.info("Node {} is no longer leader of election '{}' (fencing token {}): {}", this.settings.nodeId(),
					this.settings.qualifiedName(), held.fencingToken(), reason);
			this.listeners.fire(new LeadershipEvent(LeadershipEvent.Type.REVOKED, this.settings.nodeId(),
					held.fencingToken(), nanoTime(), held.validUntilNanos()));
		}
		else {
			logger.debug("Node {} ends its session: {}", this.settings.nodeId(), reason);
		}
		S handle = session.handle;
		session.handle = null;
		return handle;
	}

	private CompletableFuture<Void> closeQuietly(S handle) {
		return BackendCalls.call(() -> this.backend.closeSession(handle)).exceptionally((ex) -> {
			logger.debug("Node {}: closing a session failed; its lease expires on its own", this.settings.nodeId(),
					ex);
			return null;
		});
	}

	private long nanoTime() {
		return this.settings.ticker().getAsLong();
	}

	private static void cancel(@Nullable ScheduledHandle handle) {
		if (handle != null) {
			handle.cancel();
		}
	}

	/**
	 * What {@link #leave()} closed.
	 * @param session the session, as the backend's handle describes itself (for etcd: its lease)
	 * @param acknowledged completes when the backend closed it; fails with why it could not
	 */
	record Departure(String session, CompletableFuture<Void> acknowledged) {

		static final Departure NONE = new Departure("no session", CompletableFuture.completedFuture(null));

	}

}
