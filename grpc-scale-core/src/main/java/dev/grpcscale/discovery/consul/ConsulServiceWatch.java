package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.consul.internal.ConsulAgentClient;
import dev.grpcscale.consul.internal.ConsulDurations;
import dev.grpcscale.consul.internal.QueryRateLimiter;
import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.internal.VersionedListener;

/**
 * Keeps one service's passing instances current with a loop of blocking queries on
 * {@code /v1/health/service/<name>?passing=true}, on a thread of its own named
 * {@code grpc-scale-consul-watch-<name>}, and hands every change to the listeners.
 *
 * <p>Index handling follows Consul's blocking-query guide: the next query waits on the returned
 * {@code X-Consul-Index}; an equal index means nothing changed; an index lower than the previous one
 * resets the loop to index 0 (a full read); an index of 0 or none is raised to 1 so the next query
 * blocks. Queries pass a token bucket ({@link QueryRateLimiter}); failures back off exponentially. The
 * cache is only replaced by a successful read, so an outage keeps the last known instances.
 */
final class ConsulServiceWatch implements Runnable {

	private static final Logger logger = LoggerFactory.getLogger(ConsulServiceRegistry.class);

	private final String serviceName;

	private final ConsulAgentClient client;

	private final ConsulHealthParser parser;

	private final AgentReachability reachability;

	private final Clock clock;

	private final String queryPath;

	private final Duration httpTimeout;

	private final long initialBackoffNanos;

	private final long maxBackoffNanos;

	private final QueryRateLimiter rateLimiter;

	private final Thread thread;

	private final CountDownLatch firstAttempt = new CountDownLatch(1);

	private final List<VersionedListener> watchers = new CopyOnWriteArrayList<>();

	private volatile Snapshot snapshot = Snapshot.NOT_LOADED;

	private volatile boolean stopped;

	// the fields below belong to the watch thread

	private long index;

	private long backoffNanos;

	private final Map<String, Instant> firstSeen = new HashMap<>();

	private Set<String> reportedProblems = Set.of();

	private boolean refusalReported;

	ConsulServiceWatch(String serviceName, ConsulAgentClient client, ConsulHealthParser parser,
			AgentReachability reachability, Clock clock, ConsulServiceRegistry.WatchSettings settings) {
		this.serviceName = serviceName;
		this.client = client;
		this.parser = parser;
		this.reachability = reachability;
		this.clock = clock;
		this.queryPath = "/v1/health/service/" + serviceName + "?passing=true"
				+ settings.datacenterQuery() + "&wait=" + ConsulDurations.format(settings.blockingWait()) + "&index=";
		// Consul adds up to wait/16 of jitter; the request timeout covers it plus the usual answer time
		this.httpTimeout = settings.blockingWait().plus(settings.blockingWait().dividedBy(16)).plus(settings.requestTimeout());
		this.initialBackoffNanos = settings.initialBackoff().toNanos();
		this.maxBackoffNanos = settings.maxBackoff().toNanos();
		this.backoffNanos = this.initialBackoffNanos;
		this.rateLimiter = new QueryRateLimiter(settings.queryRateInterval().toNanos(), System::nanoTime);
		this.thread = new Thread(this, "grpc-scale-consul-watch-" + serviceName);
		this.thread.setDaemon(true);
	}

	void start() {
		this.thread.start();
	}

	/** Stops the loop and the callbacks; waits up to {@code timeout} for the thread to end. */
	void stop(Duration timeout) throws InterruptedException {
		this.stopped = true;
		for (VersionedListener watcher : this.watchers) {
			watcher.cancel();
		}
		this.watchers.clear();
		this.thread.interrupt();
		this.thread.join(Math.max(1, timeout.toMillis()));
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

	Subscription addWatcher(Consumer<List<ServiceInstance>> listener) {
		VersionedListener watcher = new VersionedListener(logger, this.serviceName, listener, false);
		this.watchers.add(watcher);
		Snapshot current = this.snapshot;
		if (current.version() > 0) {
			// may race with the watch thread's delivery: the version check keeps the newer list
			watcher.deliver(current.version(), current.instances());
		}
		return () -> {
			watcher.cancel();
			this.watchers.remove(watcher);
		};
	}

	@Override
	public void run() {
		try {
			while (!this.stopped) {
				pause(this.rateLimiter.reserve());
				if (this.stopped) {
					return;
				}
				queryOnce();
			}
		}
		catch (InterruptedException ex) {
			// stopped
		}
	}

	private void queryOnce() throws InterruptedException {
		String what = "health query for '" + this.serviceName + "'";
		ConsulAgentClient.Response response;
		try {
			response = this.client.get(this.queryPath + this.index, this.httpTimeout);
		}
		catch (IOException ex) {
			this.reachability.failed(what, AgentReachability.describe(ex));
			failedAttempt();
			return;
		}
		if (response.status() >= 500) {
			this.reachability.failed(what, "HTTP " + response.status() + " " + response.bodyText());
			failedAttempt();
			return;
		}
		this.reachability.answered();
		if (!response.isSuccess()) {
			logRefusal("Consul refused the " + what + ": HTTP " + response.status() + " " + response.bodyText());
			failedAttempt();
			return;
		}
		long returned = response.index().orElse(0);
		long previous = this.index;
		if (previous > 0 && returned == previous) {
			// the wait elapsed or an idempotent write woke the query: nothing changed
			succeeded();
			return;
		}
		try {
			apply(response.body());
		}
		catch (IOException ex) {
			logRefusal("Consul answered the " + what + " with an unreadable body: " + AgentReachability.describe(ex));
			failedAttempt();
			return;
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

	private void apply(byte[] body) throws IOException {
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
		}
	}

	private void succeeded() {
		this.backoffNanos = this.initialBackoffNanos;
		this.refusalReported = false;
		this.firstAttempt.countDown();
	}

	private void failedAttempt() throws InterruptedException {
		if (this.snapshot.version() == 0) {
			// listeners learn that nothing is known yet rather than waiting for the agent to return
			publish(new Snapshot(1, List.of()));
		}
		this.firstAttempt.countDown();
		long delay = this.backoffNanos;
		this.backoffNanos = Math.min(this.maxBackoffNanos, this.backoffNanos * 2);
		pause(delay);
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

	/** Only the watch thread publishes, so versions are assigned in order. */
	private void publish(Snapshot next) {
		this.snapshot = next;
		for (VersionedListener watcher : this.watchers) {
			watcher.deliver(next.version(), next.instances());
		}
	}

	private static void pause(long nanos) throws InterruptedException {
		if (nanos > 0) {
			TimeUnit.NANOSECONDS.sleep(nanos);
		}
	}

	/** The instances of the service at one local version; version 0 means nothing was read yet. */
	record Snapshot(long version, List<ServiceInstance> instances) {

		static final Snapshot NOT_LOADED = new Snapshot(0, List.of());

	}

}
