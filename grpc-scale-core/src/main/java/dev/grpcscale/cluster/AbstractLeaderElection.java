package dev.grpcscale.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.grpc.SynchronizationContext;
import io.grpc.SynchronizationContext.ScheduledHandle;
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
 * @param <S> the provider's session handle
 */
public abstract class AbstractLeaderElection<S> implements LeaderElection {

	private static final Logger logger = LoggerFactory.getLogger(AbstractLeaderElection.class);

	private final LeaderElectionSettings settings;

	private final LongSupplier ticker;

	private final ScheduledExecutorService scheduler;

	private final boolean ownScheduler;

	private final SynchronizationContext context;

	private final long validityNanos;

	private final Duration retryDelay;

	private final List<ListenerQueue> listeners = new CopyOnWriteArrayList<>();

	private final Executor listenerExecutor;

	private final @Nullable ExecutorService ownListenerExecutor;

	/** The listener queue the current thread is delivering for, if any. */
	private final ThreadLocal<@Nullable ListenerQueue> delivering = new ThreadLocal<>();

	private final AtomicLong highestToken = new AtomicLong();

	/** Confirmed renewals and their summed round trips, for meters; written in the context only. */
	private final AtomicLong renewalCount = new AtomicLong();

	private final AtomicLong renewalNanos = new AtomicLong();

	private volatile @Nullable Leadership leadership;

	private volatile boolean closed;

	// Confined to the context.

	private boolean joined;

	private @Nullable SessionState current;

	private long generations;

	private @Nullable ScheduledHandle heartbeatTask;

	private @Nullable ScheduledHandle viewTask;

	private @Nullable ScheduledHandle retryTask;

	/**
	 * Creates the engine.
	 * @param settings the settings
	 */
	protected AbstractLeaderElection(LeaderElectionSettings settings) {
		this.settings = Objects.requireNonNull(settings, "settings");
		this.ticker = settings.ticker();
		this.validityNanos = settings.leaseValidity().toNanos();
		Duration heartbeat = settings.heartbeatInterval();
		this.retryDelay = (heartbeat.compareTo(Duration.ofSeconds(1)) < 0) ? heartbeat : Duration.ofSeconds(1);
		ScheduledExecutorService given = settings.scheduler();
		if (given != null) {
			this.scheduler = given;
			this.ownScheduler = false;
		}
		else {
			String name = "grpc-scale-cluster-" + settings.nodeId();
			ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, (task) -> {
				Thread thread = new Thread(task, name);
				thread.setDaemon(true);
				return thread;
			});
			executor.setRemoveOnCancelPolicy(true);
			this.scheduler = executor;
			this.ownScheduler = true;
		}
		Executor givenListenerExecutor = settings.listenerExecutor();
		if (givenListenerExecutor != null) {
			this.listenerExecutor = givenListenerExecutor;
			this.ownListenerExecutor = null;
		}
		else {
			String name = "grpc-scale-cluster-events-" + settings.nodeId() + "-";
			AtomicInteger threads = new AtomicInteger();
			ExecutorService executor = Executors.newCachedThreadPool((task) -> {
				Thread thread = new Thread(task, name + threads.incrementAndGet());
				thread.setDaemon(true);
				return thread;
			});
			this.listenerExecutor = executor;
			this.ownListenerExecutor = executor;
		}
		this.context = new SynchronizationContext((thread, ex) -> logger.error(
				"Unexpected failure in leader election '{}' of node {}", settings.qualifiedName(), settings.nodeId(),
				ex));
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
		return this.scheduler;
	}

	/** The current ticker value, in nanoseconds. */
	protected final long nanoTime() {
		return this.ticker.getAsLong();
	}

	// ---- LeaderElection ----

	@Override
	public final LeaderElectionSettings settings() {
		return this.settings;
	}

	@Override
	public void join() {
		ensureOpen();
		this.context.execute(this::joinNow);
	}

	@Override
	public void leave() {
		CompletableFuture<CompletableFuture<Void>> scheduled = new CompletableFuture<>();
		Runnable task = () -> scheduled.complete(leaveNow());
		if (inContext()) {
			// Called from the election's own thread: leave right after the current task, without waiting.
			this.context.executeLater(task);
			return;
		}
		this.context.execute(task);
		long timeout = this.settings.electionTimeout().toNanos();
		long start = System.nanoTime();
		try {
			CompletableFuture<Void> acknowledged = scheduled.get(timeout, TimeUnit.NANOSECONDS);
			acknowledged.get(Math.max(0, timeout - (System.nanoTime() - start)), TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return;
		}
		catch (ExecutionException | TimeoutException ex) {
			logger.warn("Node {} left election '{}' without the backend's acknowledgement; its lease expires on its own",
					this.settings.nodeId(), this.settings.qualifiedName(), ex);
		}
		if (this.delivering.get() == null) {
			// Listeners have been told (REVOKED queued before the backend call): wait for them, within the bound.
			awaitListeners(start + timeout);
		}
	}

	@Override
	public boolean isLeader() {
		Leadership current = this.leadership;
		return current != null && current.isValidAt(nanoTime());
	}

	@Override
	public Optional<Leadership> leadership() {
		Leadership current = this.leadership;
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
			raiseToken(observed.fencingToken());
		}
		return this.highestToken.get();
	}

	/**
	 * How many lease renewals (heartbeats) the backend confirmed since this election was created; with
	 * {@link #leaseRenewalTotalNanos()} it makes a timer of the renewal round trip.
	 * @return the count
	 */
	public long leaseRenewalCount() {
		return this.renewalCount.get();
	}

	/**
	 * The summed round trips, from send to the backend's confirmation, of the
	 * {@link #leaseRenewalCount() confirmed renewals}, on the settings' ticker.
	 * @return the total in nanoseconds
	 */
	public long leaseRenewalTotalNanos() {
		return this.renewalNanos.get();
	}

	@Override
	public List<ClusterMember> members() {
		Instant now = this.settings.clock().instant();
		Map<String, ClusterMember> byId = new TreeMap<>();
		for (MemberAnnouncement announcement : announcedMembers()) {
			ClusterMember known = byId.get(announcement.nodeId());
			Instant lastHeartbeat = announcement.lastHeartbeat();
			if (known == null || (known.lastHeartbeat() != null && known.lastHeartbeat().isBefore(lastHeartbeat))) {
				byId.put(announcement.nodeId(), new ClusterMember(announcement.nodeId(), announcement.address(),
						lastHeartbeat, status(now, lastHeartbeat)));
			}
		}
		for (String expected : this.settings.nodes()) {
			byId.putIfAbsent(expected, new ClusterMember(expected, "", null, MemberStatus.DEAD));
		}
		return List.copyOf(byId.values());
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
		ListenerQueue queue = new ListenerQueue(listener);
		this.context.execute(() -> {
			if (queue.cancelled) {
				return;
			}
			this.listeners.add(queue);
			Leadership current = this.leadership;
			if (current != null && current.isValidAt(nanoTime())) {
				queue.enqueue(new LeadershipEvent(LeadershipEvent.Type.GRANTED, this.settings.nodeId(),
						current.fencingToken(), current.grantedAtNanos(), current.validUntilNanos()));
			}
		});
		return () -> {
			queue.cancelled = true;
			this.listeners.remove(queue);
		};
	}

	@Override
	public void close() {
		if (this.closed) {
			return;
		}
		leave();
		this.closed = true;
		this.context.execute(() -> {
			this.listeners.forEach((queue) -> queue.cancelled = true);
			this.listeners.clear();
		});
		if (this.ownScheduler) {
			this.scheduler.shutdownNow();
		}
		if (this.ownListenerExecutor != null) {
			this.ownListenerExecutor.shutdownNow();
		}
	}

	@Override
	public String toString() {
		return getClass().getSimpleName() + "[node=" + this.settings.nodeId() + ", election="
				+ this.settings.qualifiedName() + "]";
	}

	// ---- state machine, in the context ----

	private void joinNow() {
		if (this.closed || this.joined) {
			return;
		}
		this.joined = true;
		Duration heartbeat = this.settings.heartbeatInterval();
		this.heartbeatTask = this.context.scheduleWithFixedDelay(this::heartbeat, heartbeat, heartbeat,
				this.scheduler);
		this.viewTask = this.context.scheduleWithFixedDelay(this::refresh, Duration.ZERO, heartbeat.dividedBy(2),
				this.scheduler);
		logger.info("Node {} joins election '{}' on {}", this.settings.nodeId(), this.settings.qualifiedName(),
				provider());
		startSession();
	}

	private CompletableFuture<Void> leaveNow() {
		if (!this.joined) {
			return CompletableFuture.completedFuture(null);
		}
		this.joined = false;
		cancel(this.heartbeatTask);
		cancel(this.viewTask);
		cancel(this.retryTask);
		this.heartbeatTask = null;
		this.viewTask = null;
		this.retryTask = null;
		SessionState session = this.current;
		logger.info("Node {} leaves election '{}'", this.settings.nodeId(), this.settings.qualifiedName());
		return (session != null) ? endSession(session, "left the election") : CompletableFuture.completedFuture(null);
	}

	private void startSession() {
		SessionState session = new SessionState(++this.generations);
		this.current = session;
		long sent = nanoTime();
		onComplete(withTimeout(call(this::openSession), "opening a session"), (handle, ex) -> {
			if (this.current != session) {
				if (handle != null) {
					closeQuietly(handle);
				}
				return;
			}
			if (ex != null || handle == null) {
				logger.warn("Node {} could not open a session for election '{}'; retrying in {}",
						this.settings.nodeId(), this.settings.qualifiedName(), this.retryDelay, ex);
				this.current = null;
				this.retryTask = this.context.schedule(() -> {
					if (this.joined && this.current == null) {
						startSession();
					}
				}, this.retryDelay, this.scheduler);
				return;
			}
			session.handle = handle;
			session.confirmedSentNanos = sent;
			if (this.settings.leaderElection()) {
				campaign(session);
			}
		});
	}

	private void campaign(SessionState session) {
		S handle = session.handle;
		if (handle == null) {
			return;
		}
		onComplete(call(() -> campaign(handle)), (token, ex) -> {
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

	private void elected(SessionState session, long token) {
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
		fire(new LeadershipEvent(LeadershipEvent.Type.GRANTED, this.settings.nodeId(), token, now, validUntil));
	}

	private void heartbeat() {
		SessionState session = this.current;
		S handle = (session != null) ? session.handle : null;
		if (session == null || handle == null) {
			return;
		}
		long sent = nanoTime();
		onComplete(withTimeout(call(() -> renewSession(handle)), "renewing the lease"), (alive, ex) -> {
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

	private void renewed(SessionState session, long sent) {
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
				fire(new LeadershipEvent(LeadershipEvent.Type.RENEWED, this.settings.nodeId(), held.fencingToken(),
						now, validUntil));
			}
		}
	}

	private void scheduleExpiryCheck(SessionState session) {
		cancel(session.expiryCheck);
		Leadership held = session.leadership;
		if (held == null) {
			return;
		}
		long delay = Math.max(0, held.validUntilNanos() - nanoTime());
		session.expiryCheck = this.context.schedule(() -> checkExpiry(session), delay, TimeUnit.NANOSECONDS,
				this.scheduler);
	}

	private void checkExpiry(SessionState session) {
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
		SessionState session = this.current;
		long sent = nanoTime();
		onComplete(withTimeout(call(this::refreshView), "reading the cluster"), (ignored, ex) -> {
			if (ex != null) {
				logger.debug("Node {}: reading the cluster failed", this.settings.nodeId(), ex);
				return;
			}
			LeaderInfo observed = observedLeader();
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

	private void restartSession(SessionState session, String reason) {
		endSession(session, reason);
		if (this.joined && this.current == null) {
			startSession();
		}
	}

	private CompletableFuture<Void> endSession(SessionState session, String reason) {
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
			fire(new LeadershipEvent(LeadershipEvent.Type.REVOKED, this.settings.nodeId(), held.fencingToken(),
					nanoTime(), held.validUntilNanos()));
		}
		else {
			logger.debug("Node {} ends its session: {}", this.settings.nodeId(), reason);
		}
		S handle = session.handle;
		session.handle = null;
		return (handle != null) ? closeQuietly(handle) : CompletableFuture.completedFuture(null);
	}

	// ---- helpers ----

	private CompletableFuture<Void> closeQuietly(S handle) {
		return call(() -> closeSession(handle)).exceptionally((ex) -> {
			logger.debug("Node {}: closing a session failed; its lease expires on its own", this.settings.nodeId(),
					ex);
			return null;
		});
	}

	/** Queues the event for every listener; called in the context, so each listener sees the context's order. */
	private void fire(LeadershipEvent event) {
		for (ListenerQueue queue : this.listeners) {
			queue.enqueue(event);
		}
	}

	private static void deliver(LeadershipListener listener, LeadershipEvent event) {
		try {
			listener.onLeadershipChange(event);
		}
		catch (RuntimeException ex) {
			logger.warn("Leadership listener {} failed on {}", listener, event, ex);
		}
	}

	private void awaitListeners(long deadlineNanos) {
		for (ListenerQueue queue : this.listeners) {
			if (!queue.awaitIdle(deadlineNanos)) {
				logger.warn("Node {} left election '{}'; leadership listener {} has not returned within {}",
						this.settings.nodeId(), this.settings.qualifiedName(), queue.listener,
						this.settings.electionTimeout());
				return;
			}
		}
	}

	private void raiseToken(long token) {
		this.highestToken.accumulateAndGet(token, Math::max);
	}

	private static MemberStatus status(Instant now, Instant lastHeartbeat, Duration heartbeat, Duration timeout) {
		Duration age = Duration.between(lastHeartbeat, now);
		Duration alive = heartbeat.multipliedBy(2);
		if (alive.compareTo(timeout) > 0) {
			alive = timeout;
		}
		if (age.compareTo(alive) <= 0) {
			return MemberStatus.ALIVE;
		}
		return (age.compareTo(timeout) <= 0) ? MemberStatus.SUSPECT : MemberStatus.DEAD;
	}

	private MemberStatus status(Instant now, Instant lastHeartbeat) {
		return status(now, lastHeartbeat, this.settings.heartbeatInterval(), this.settings.electionTimeout());
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

	private static void cancel(@Nullable ScheduledHandle handle) {
		if (handle != null) {
			handle.cancel();
		}
	}

	private static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> backendCall) {
		try {
			return Objects.requireNonNull(backendCall.get(), "backend returned no future");
		}
		catch (RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
	}

	/** Bounds a backend call by {@code electionTimeout}: a later answer is of no use to the lease. */
	private <T> CompletableFuture<T> withTimeout(CompletableFuture<T> future, String what) {
		if (future.isDone()) {
			return future;
		}
		Duration timeout = this.settings.electionTimeout();
		CompletableFuture<T> result = new CompletableFuture<>();
		ScheduledFuture<?> timer;
		try {
			timer = this.scheduler.schedule(
					() -> result.completeExceptionally(new TimeoutException(what + " took longer than " + timeout)),
					timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RuntimeException ex) {
			return future;
		}
		future.whenComplete((value, ex) -> {
			timer.cancel(false);
			if (ex != null) {
				result.completeExceptionally(ex);
			}
			else {
				result.complete(value);
			}
		});
		return result;
	}

	/** Runs {@code handler} in the context, on the scheduler, once {@code future} completes. */
	private <T> void onComplete(CompletableFuture<T> future, BiConsumer<@Nullable T, @Nullable Throwable> handler) {
		future.whenCompleteAsync((value, ex) -> this.context.execute(() -> handler.accept(value, ex)), this.scheduler)
			.exceptionally((ex) -> {
				logger.debug("Node {}: a backend result arrived after close", this.settings.nodeId(), ex);
				return null;
			});
	}

	/**
	 * The events of one listener, delivered in order, one at a time, on the listener executor: a slow listener
	 * delays only itself, never the election's thread nor other listeners.
	 */
	private final class ListenerQueue implements Runnable {

		final LeadershipListener listener;

		volatile boolean cancelled;

		private final ArrayDeque<LeadershipEvent> queue = new ArrayDeque<>();

		private boolean running;

		ListenerQueue(LeadershipListener listener) {
			this.listener = listener;
		}

		void enqueue(LeadershipEvent event) {
			synchronized (this) {
				this.queue.add(event);
				if (this.running) {
					return;
				}
				this.running = true;
			}
			try {
				AbstractLeaderElection.this.listenerExecutor.execute(this);
			}
			catch (RejectedExecutionException ex) {
				synchronized (this) {
					this.queue.clear();
					this.running = false;
					notifyAll();
				}
			}
		}

		@Override
		public void run() {
			ListenerQueue outer = AbstractLeaderElection.this.delivering.get();
			AbstractLeaderElection.this.delivering.set(this);
			try {
				while (true) {
					LeadershipEvent event;
					synchronized (this) {
						event = this.queue.poll();
						if (event == null) {
							this.running = false;
							notifyAll();
							return;
						}
					}
					if (!this.cancelled) {
						deliver(this.listener, event);
					}
				}
			}
			finally {
				AbstractLeaderElection.this.delivering.set(outer);
			}
		}

		/** Waits until every queued event was delivered; {@code false} if the deadline passed first. */
		synchronized boolean awaitIdle(long deadlineNanos) {
			while (this.running) {
				long left = deadlineNanos - System.nanoTime();
				if (left <= 0) {
					return false;
				}
				try {
					TimeUnit.NANOSECONDS.timedWait(this, left);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return false;
				}
			}
			return true;
		}

		@Override
		public String toString() {
			return this.listener.toString();
		}

	}

	/** One session: a lease and this node's candidacy on it. Confined to the context. */
	private final class SessionState {

		final long generation;

		@Nullable S handle;

		long confirmedSentNanos;

		@Nullable Leadership leadership;

		@Nullable ScheduledHandle expiryCheck;

		SessionState(long generation) {
			this.generation = generation;
		}

		@Override
		public String toString() {
			return "session " + this.generation + " of " + AbstractLeaderElection.this.settings.nodeId();
		}

	}

}
