package dev.grpcscale.cluster;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.grpc.SynchronizationContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;

/**
 * The lease engine every {@link LeaderElection} provider shares; a provider implements only the backend
 * calls: open a session (a lease of {@code electionTimeout} plus this node's announcement on it), renew
 * it, campaign on it, close it, and read members and leader.
 *
 * <p>How leadership is counted: before each renewal the engine reads the ticker (the <em>send</em> time);
 * when the backend confirms the renewal, the lease is valid until that send time plus
 * {@code electionTimeout - safetyMargin}. The backend received the renewal after it was sent, so its lease
 * outlives this node's belief by at least the margin. {@link #isLeader()} compares that deadline with the
 * ticker at every call; a scheduled check at the deadline revokes leadership (listeners get
 * {@code REVOKED}), closes the session and campaigns again with a new one, which yields a new, higher
 * fencing token. A renewal confirmed after the deadline never restores a lapsed leadership.
 *
 * <p>Threading: every state change runs in one {@link SynchronizationContext}; backend callbacks hop onto
 * the scheduler first. The scheduler is the one in the settings, or a single thread
 * {@code grpc-scale-cluster-<nodeId>} stopped by {@link #close()}. Events are queued, in the context's order,
 * on one queue per listener and delivered on the listener executor (the settings', or threads
 * {@code grpc-scale-cluster-events-<nodeId>-<n>} stopped by {@link #close()}): a listener never runs on the
 * election's thread nor on a client library's I/O thread, so a slow one delays neither renewals nor the
 * expiry check nor other listeners.
 *
 * <p>Inside, the state machine is {@code LeaseStateMachine}, the listeners' queues {@code LeadershipListeners}
 * and the threads {@code ElectionExecutors}; this class ties them to the backend calls a provider implements.
 *
 * @param <S> the provider's session handle
 */
public abstract class AbstractLeaderElection<S> implements LeaderElection {

	private static final Logger logger = LoggerFactory.getLogger(AbstractLeaderElection.class);

	private final LeaderElectionSettings settings;

	private final ElectionExecutors executors;

	private final SynchronizationContext context;

	private final LeadershipListeners listeners;

	private final LeaseStateMachine<S> lease;

	private volatile boolean closed;

	/**
	 * Creates the engine.
	 * @param settings the settings
	 */
	protected AbstractLeaderElection(LeaderElectionSettings settings) {
		this.settings = Objects.requireNonNull(settings, "settings");
		this.executors = new ElectionExecutors(settings);
		this.context = new SynchronizationContext((thread, ex) -> logger.error(
				"Unexpected failure in leader election '{}' of node {}", settings.qualifiedName(), settings.nodeId(),
				ex));
		this.listeners = new LeadershipListeners(settings, this.executors.listenerExecutor());
		this.lease = new LeaseStateMachine<>(this, this.context, this.executors.scheduler(), this.listeners);
	}

	// ---- backend SPI ----

	/** The provider's name for status views, for example {@code etcd}. */
	protected abstract String provider();

	/**
	 * Opens a session: a lease of {@code electionTimeout} and this node's announcement bound to it.
	 * @return the session, or a failed future; called without any lock held
	 */
	protected abstract CompletableFuture<S> openSession();

	/**
	 * Renews a session's lease and refreshes this node's announcement (heartbeat).
	 * @param session the session
	 * @return {@code true} when the backend confirmed the lease alive, {@code false} when it is definitely
	 * gone (expired, revoked), a failed future when unknown (backend unreachable, timeout)
	 */
	protected abstract CompletableFuture<Boolean> renewSession(S session);

	/**
	 * Campaigns for leadership on a session. The future completes only once this session leads, with the
	 * fencing token of that leadership, which must be higher than every earlier leader's.
	 * @param session the session
	 * @return the fencing token, or a failed future (the engine retries while the session lives)
	 */
	protected abstract CompletableFuture<Long> campaign(S session);

	/**
	 * Ends a session: its candidacy, leadership and announcement go at once (revoke the lease). Best effort:
	 * when it fails the lease expires on its own.
	 * @param session the session
	 * @return completes when the backend acknowledged
	 */
	protected abstract CompletableFuture<Void> closeSession(S session);

	/**
	 * Refreshes what {@link #announcedMembers()} and {@link #observedLeader()} return, for providers that
	 * cache them; called every half heartbeat interval while joined. The default does nothing.
	 * @return completes when refreshed
	 */
	protected CompletableFuture<Void> refreshView() {
		return CompletableFuture.completedFuture(null);
	}

	/** The members that announced themselves, as last read; never blocks. */
	protected abstract List<MemberAnnouncement> announcedMembers();

	/** The leader as last read from the backend, or {@code null}; never blocks. */
	protected abstract @Nullable LeaderInfo observedLeader();

	/** The scheduler this election runs on, for providers' own timers. */
	protected final ScheduledExecutorService scheduler() {
		return this.executors.scheduler();
	}

	/** The current ticker value, in nanoseconds. */
	protected final long nanoTime() {
		return this.settings.ticker().getAsLong();
	}

	// ---- LeaderElection ----

	@Override
	public final LeaderElectionSettings settings() {
		return this.settings;
	}

	@Override
	public void join() {
		ensureOpen();
		this.context.execute(() -> {
			if (!this.closed) {
				this.lease.join();
			}
		});
	}

	/**
	 * Leaves the election: listeners hear REVOKED at once, then the session is closed at the backend. Waits for
	 * the backend's acknowledgement and the listeners for at most {@code electionTimeout}; when the backend
	 * cannot close the session (unreachable, stopping, its client closed first) one warning names the session
	 * and the reason, and the backend drops the session when its TTL runs out. Never throws.
	 */
	@Override
	public void leave() {
		CompletableFuture<LeaseStateMachine.Departure> scheduled = new CompletableFuture<>();
		if (inContext()) {
			// Called from the election's own thread: leave right after the current task, without waiting.
			this.context.executeLater(() -> {
				LeaseStateMachine.Departure departure = this.lease.leave();
				departure.acknowledged().whenComplete((ignored, ex) -> {
					if (ex != null) {
						warnSessionLeft(departure.session(), BackendCalls.reason(ex));
					}
				});
			});
			return;
		}
		this.context.execute(() -> scheduled.complete(this.lease.leave()));
		long timeout = this.settings.electionTimeout().toNanos();
		long start = System.nanoTime();
		LeaseStateMachine.Departure departure = null;
		try {
			departure = scheduled.get(timeout, TimeUnit.NANOSECONDS);
			departure.acknowledged().get(Math.max(0, timeout - (System.nanoTime() - start)), TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return;
		}
		catch (TimeoutException ex) {
			if (departure != null) {
				departure.acknowledged().cancel(true);
			}
			warnSessionLeft((departure != null) ? departure.session() : "its session",
					"no answer within " + this.settings.electionTimeout());
		}
		catch (ExecutionException ex) {
			warnSessionLeft(departure.session(), BackendCalls.reason(ex));
		}
		if (!this.listeners.deliveringOnThisThread()) {
			// Listeners have been told (REVOKED queued before the backend call): wait for them, within the bound.
			this.listeners.awaitIdle(start + timeout);
		}
	}

	private void warnSessionLeft(String session, String reason) {
		logger.warn("Node {} left election '{}' without closing {} at the backend ({}); the backend drops it when its "
				+ "TTL (electionTimeout {}) runs out", this.settings.nodeId(), this.settings.qualifiedName(), session,
				reason, this.settings.electionTimeout());
	}

	@Override
	public boolean isLeader() {
		Leadership current = this.lease.leadership();
		return current != null && current.isValidAt(nanoTime());
	}

	@Override
	public Optional<Leadership> leadership() {
		Leadership current = this.lease.leadership();
		return (current != null && current.isValidAt(nanoTime())) ? Optional.of(current) : Optional.empty();
	}

	@Override
	public Optional<LeaderInfo> currentLeader() {
		Optional<Leadership> own = leadership();
		if (own.isPresent()) {
			return Optional.of(new LeaderInfo(this.settings.nodeId(), this.settings.address(),
					own.get().fencingToken()));
		}
		return Optional.ofNullable(observedLeader());
	}

	@Override
	public long highestFencingTokenSeen() {
		LeaderInfo observed = observedLeader();
		if (observed != null) {
			this.lease.raiseToken(observed.fencingToken());
		}
		return this.lease.highestToken();
	}

	/**
	 * How many lease renewals (heartbeats) the backend confirmed since this election was created; with
	 * {@link #leaseRenewalTotalNanos()} it makes a timer of the renewal round trip.
	 * @return the count
	 */
	public long leaseRenewalCount() {
		return this.lease.renewalCount();
	}

	/**
	 * The summed round trips, from send to the backend's confirmation, of the
	 * {@link #leaseRenewalCount() confirmed renewals}, on the settings' ticker.
	 * @return the total in nanoseconds
	 */
	public long leaseRenewalTotalNanos() {
		return this.lease.renewalNanos();
	}

	@Override
	public List<ClusterMember> members() {
		return MembershipView.members(this.settings.clock().instant(), announcedMembers(), this.settings);
	}

	@Override
	public ClusterInfo clusterInfo() {
		Optional<Leadership> own = leadership();
		Optional<LeaderInfo> leader = currentLeader();
		long ownToken = own.map(Leadership::fencingToken).orElse(0L);
		return new ClusterInfo(provider(), this.settings.nodeId(), members(), leader.orElse(null), own.isPresent(),
				ownToken, Math.max(ownToken, highestFencingTokenSeen()));
	}

	@Override
	public Subscription addListener(LeadershipListener listener) {
		Objects.requireNonNull(listener, "listener");
		LeadershipListeners.ListenerQueue queue = this.listeners.newQueue(listener);
		this.context.execute(() -> this.listeners.attach(queue, currentGrant()));
		return () -> this.listeners.detach(queue);
	}

	@Override
	public void close() {
		if (this.closed) {
			return;
		}
		leave();
		this.closed = true;
		this.context.execute(this.listeners::detachAll);
		this.executors.shutdown();
	}

	@Override
	public String toString() {
		return getClass().getSimpleName() + "[node=" + this.settings.nodeId() + ", election="
				+ this.settings.qualifiedName() + "]";
	}

	/** A GRANTED event for the leadership held now, for a listener added while leading; else {@code null}. */
	private @Nullable LeadershipEvent currentGrant() {
		Leadership current = this.lease.leadership();
		if (current == null || !current.isValidAt(nanoTime())) {
			return null;
		}
		return new LeadershipEvent(LeadershipEvent.Type.GRANTED, this.settings.nodeId(), current.fencingToken(),
				current.grantedAtNanos(), current.validUntilNanos());
	}

	private boolean inContext() {
		try {
			this.context.throwIfNotInThisSynchronizationContext();
			return true;
		}
		catch (IllegalStateException ex) {
			return false;
		}
	}

	private void ensureOpen() {
		if (this.closed) {
			throw new IllegalStateException(this + " is closed");
		}
	}

}
