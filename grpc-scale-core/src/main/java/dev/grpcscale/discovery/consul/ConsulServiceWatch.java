package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.consul.ConsulHttpException;
import dev.grpcscale.consul.ConsulUnreachableException;
import dev.grpcscale.consul.internal.QueryRateLimiter;
import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.internal.VersionedListener;
import dev.grpcscale.metrics.LatencyTally;

/**
 * Keeps one service's passing instances current with a chain of blocking queries on
 * {@code /v1/health/service/<name>?passing=true} through the application's {@link ConsulClient}, and hands
 * every change to the listeners. No thread of its own: a query's answer (on the client's HTTP threads) starts
 * the next one, and pauses are tasks on the registry's scheduler.
 *
 * <p>Index handling follows Consul's blocking-query guide: the next query waits on the returned
 * {@code X-Consul-Index}; an equal index means nothing changed; an index lower than the previous one
 * resets the loop to index 0 (a full read); an index of 0 or none is raised to 1 so the next query
 * blocks. Queries pass a token bucket ({@link QueryRateLimiter}); a failed query is restarted with jittered
 * exponential backoff ({@link ConsulClient#retryUntilSuccess}), reset by the next success. The cache is only
 * replaced by a successful read, so an outage keeps the last known instances.
 *
 * <p>{@link ConsulWatches} retires a watch that has no watcher and was not read for its idle timeout
 * ({@link #retireIfIdle}); a retired watch takes no watcher and no read, and a new one is started.
 */
final class ConsulServiceWatch {

	private static final Logger logger = LoggerFactory.getLogger(ConsulServiceRegistry.class);

	private final String serviceName;

	private final ConsulClient client;

	private final ConsulHealthParser parser;

	private final AgentReachability reachability;

	private final Clock clock;

	private final ScheduledExecutorService scheduler;

	private final ConsulWatches.Settings settings;

	private final QueryRateLimiter rateLimiter;

	/** From an answer's arrival to its changed list handed to every watcher. */
	private final LatencyTally watchLag;

	private final String what;

	private final CountDownLatch firstAttempt = new CountDownLatch(1);

	private final List<VersionedListener> watchers = new CopyOnWriteArrayList<>();

	private volatile Snapshot snapshot = Snapshot.NOT_LOADED;

	private volatile boolean stopped;

	private volatile @Nullable Future<?> pending;

	/** Guards {@link #retired} against a watcher or a read arriving as the watch is retired. */
	private final Object useLock = new Object();

	private boolean retired;

	/** When the watch was last read, or its last watcher left ({@link System#nanoTime()}). */
	private volatile long lastUsedNanos = System.nanoTime();

	// the fields below belong to the chain of queries: one step at a time, each after the previous one

	private long index;

	private final Map<String, Instant> firstSeen = new HashMap<>();

	private Set<String> reportedProblems = Set.of();

	private boolean refusalReported;

	ConsulServiceWatch(String serviceName, ConsulWatches.Shared shared) {
		this.serviceName = serviceName;
		this.client = shared.client();
		this.parser = shared.parser();
		this.reachability = shared.reachability();
		this.clock = shared.clock();
		this.scheduler = shared.scheduler();
		this.settings = shared.settings();
		this.watchLag = shared.watchLag();
		this.rateLimiter = new QueryRateLimiter(settings.queryRateInterval().toNanos(), System::nanoTime);
		this.what = "health query for '" + serviceName + "'";
	}

	void start() {
		next();
	}

	/** Stops the chain and the callbacks; a query in flight is left to time out and is ignored. */
	void stop() {
		this.stopped = true;
		for (VersionedListener watcher : this.watchers) {
			watcher.cancel();
		}
		this.watchers.clear();
		Future<?> current = this.pending;
		if (current != null) {
			current.cancel(false);
		}
	}

	/**
	 * Waits until the first query finished, successfully or not.
	 * @return whether it finished within the timeout
	 */
	boolean awaitFirstAttempt(Duration timeout) {
		try {
			return this.firstAttempt.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	/** The last known passing instances, sorted by id. */
	List<ServiceInstance> instances() {
		return this.snapshot.instances();
	}

	/**
	 * Counts a read: the idle time starts again.
	 * @return {@code false} if the watch is retired (read a new one)
	 */
	boolean markRead() {
		synchronized (this.useLock) {
			if (this.retired) {
				return false;
			}
			this.lastUsedNanos = System.nanoTime();
			return true;
		}
	}

	/**
	 * Stops the watch if it has no watcher and was neither read nor left by its last watcher for the idle
	 * timeout.
	 * @return whether it was stopped
	 */
	boolean retireIfIdle(long nowNanos, long idleNanos) {
		synchronized (this.useLock) {
			if (this.retired || !this.watchers.isEmpty() || nowNanos - this.lastUsedNanos < idleNanos) {
				return false;
			}
			this.retired = true;
		}
		stop();
		return true;
	}

	/**
	 * Adds a watcher.
	 * @return its subscription, or {@code null} if the watch is retired (watch a new one)
	 */
	@Nullable Subscription addWatcher(Consumer<List<ServiceInstance>> listener) {
		VersionedListener watcher = new VersionedListener(logger, this.serviceName, listener, false);
		synchronized (this.useLock) {
			if (this.retired) {
				return null;
			}
			this.watchers.add(watcher);
		}
		Snapshot current = this.snapshot;
		if (current.version() > 0) {
			// may race with the chain's delivery: the version check keeps the newer list
			watcher.deliver(current.version(), current.instances());
		}
		return () -> {
			watcher.cancel();
			synchronized (this.useLock) {
				if (this.watchers.remove(watcher)) {
					this.lastUsedNanos = System.nanoTime();
				}
			}
		};
	}

	/** Sends the next query once the rate limiter allows it. */
	private void next() {
		if (this.stopped) {
			return;
		}
		long wait = this.rateLimiter.reserve();
		if (wait <= 0) {
			query();
			return;
		}
		try {
			this.pending = this.scheduler.schedule(this::query, wait, TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// the registry is closing
		}
	}

	private void query() {
		if (this.stopped) {
			return;
		}
		CompletableFuture<Void> answered = this.client.retryUntilSuccess(this::queryOnce,
				this.settings.initialBackoff(), this.settings.maxBackoff(), this::failedAttempt);
		this.pending = answered;
		if (this.stopped) {
			answered.cancel(false);
			return;
		}
		answered.whenComplete((ignored, ex) -> {
			if (ex != null && !this.stopped) {
				logger.debug("Watch of service '{}' stopped: {}", this.serviceName, ex.toString());
				return;
			}
			next();
		});
	}

	/** One query and its answer; fails (and is restarted after a pause) when it got no usable answer. */
	private CompletableFuture<Void> queryOnce() {
		return this.client.health()
			.passingInstances(this.serviceName, this.settings.datacenter(), this.index, this.settings.blockingWait())
			.thenAccept(this::answered);
	}

	private void answered(ConsulClient.IndexedBody response) {
		if (this.stopped) {
			return;
		}
		long arrived = System.nanoTime();
		this.reachability.answered();
		long returned = response.index().orElse(0);
		long previous = this.index;
		if (previous > 0 && returned == previous) {
			// the wait elapsed or an idempotent write woke the query: nothing changed
			succeeded();
			return;
		}
		try {
			// timed when a blocking query (one that waited on an index) brought a change, not the first read
			if (apply(response.body()) && previous > 0) {
				this.watchLag.record(System.nanoTime() - arrived);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		if (returned <= 0) {
			this.index = 1;
		}
		else if (returned < previous) {
			this.index = 0;
		}
		else {
			this.index = returned;
		}
		succeeded();
	}

	/** Parses an answer and publishes its list if it changed; returns whether it did. */
	private boolean apply(byte[] body) throws IOException {
		ConsulHealthParser.Parsed parsed = this.parser.parse(this.serviceName, body, this.firstSeen,
				this.clock.instant());
		Set<String> problems = new HashSet<>(parsed.problems());
		for (String problem : parsed.problems()) {
			if (this.reportedProblems.contains(problem)) {
				logger.debug("Skipping an entry of service '{}' from Consul: {}", this.serviceName, problem);
			}
			else {
				logger.warn("Skipping an entry of service '{}' from Consul: {}", this.serviceName, problem);
			}
		}
		this.reportedProblems = problems;
		this.firstSeen.keySet().retainAll(parsed.instances().stream().map(ServiceInstance::instanceId).toList());
		for (ServiceInstance instance : parsed.instances()) {
			this.firstSeen.putIfAbsent(instance.instanceId(), instance.registrationTime());
		}
		Snapshot current = this.snapshot;
		if (current.version() == 0 || !current.instances().equals(parsed.instances())) {
			publish(new Snapshot(current.version() + 1, parsed.instances()));
			return true;
		}
		return false;
	}

	private void succeeded() {
		this.refusalReported = false;
		this.firstAttempt.countDown();
	}

	/** Runs before the pause that follows a failed query. */
	private void failedAttempt(Throwable failure) {
		if (this.stopped) {
			return;
		}
		if (failure instanceof ConsulUnreachableException unreachable) {
			Throwable cause = unreachable.getCause();
			this.reachability.failed(this.what,
					AgentReachability.describe((cause instanceof Exception ex) ? ex : unreachable));
		}
		else if (failure instanceof ConsulHttpException http && http.isServerError()) {
			this.reachability.failed(this.what, "HTTP " + http.status() + " " + http.body());
		}
		else if (failure instanceof ConsulHttpException http) {
			this.reachability.answered();
			logRefusal("Consul refused the " + this.what + ": HTTP " + http.status() + " " + http.body());
		}
		else if (failure instanceof UncheckedIOException unreadable) {
			logRefusal("Consul answered the " + this.what + " with an unreadable body: "
					+ AgentReachability.describe(unreadable.getCause()));
		}
		else {
			logRefusal("The " + this.what + " failed: " + failure);
		}
		if (this.snapshot.version() == 0) {
			// listeners learn that nothing is known yet rather than waiting for the agent to return
			publish(new Snapshot(1, List.of()));
		}
		this.firstAttempt.countDown();
	}

	private void logRefusal(String message) {
		if (this.refusalReported) {
			logger.debug(message);
		}
		else {
			this.refusalReported = true;
			logger.warn(message);
		}
	}

	/** Only the chain of queries publishes, one step at a time, so versions are assigned in order. */
	private void publish(Snapshot next) {
		this.snapshot = next;
		for (VersionedListener watcher : this.watchers) {
			watcher.deliver(next.version(), next.instances());
		}
	}

	/** The instances of the service at one local version; version 0 means nothing was read yet. */
	record Snapshot(long version, List<ServiceInstance> instances) {

		static final Snapshot NOT_LOADED = new Snapshot(0, List.of());

	}

}
