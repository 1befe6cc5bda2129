package dev.grpcscale.discovery.consul;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;
import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.metrics.LatencyTally;

/**
 * The discovery side of a {@link ConsulServiceRegistry}: one {@link ConsulServiceWatch} (a loop of blocking
 * queries and its cache) per service read or watched, started by the first read or watch, and retired by a
 * task on the registry's scheduler once it has no watcher and was not read for the idle timeout (checked every
 * half of it, at most every 30s); the next read or watch starts a new one. A read or watch that meets a watch
 * retired as it was looked up starts a new one. Thread-safe.
 */
final class ConsulWatches {

	/** Logs under the registry's name, where Consul discovery has always logged. */
	private static final Logger logger = LoggerFactory.getLogger(ConsulServiceRegistry.class);

	private final Shared shared;

	/** How long a first read waits for the first answer. */
	private final Duration requestTimeout;

	/** Set by the registry's {@code close()}. */
	private final AtomicBoolean closed;

	private final long idleNanos;

	private final Map<String, ConsulServiceWatch> watches = new ConcurrentHashMap<>();

	private final ScheduledFuture<?> reclaim;

	ConsulWatches(Shared shared, AtomicBoolean closed) {
		this.shared = shared;
		this.requestTimeout = shared.client().connection().requestTimeout();
		this.closed = closed;
		this.idleNanos = shared.settings().idleTimeout().toNanos();
		long reclaimPeriod = Math.min(this.idleNanos / 2, TimeUnit.SECONDS.toNanos(30));
		this.reclaim = shared.scheduler().scheduleWithFixedDelay(this::reclaimIdleWatches, reclaimPeriod,
				Math.max(reclaimPeriod, 1), TimeUnit.NANOSECONDS);
	}

	/**
	 * The passing instances of a service, sorted by id; the first read starts its watch and waits up to the
	 * request timeout for the first answer. Empty once the registry is closed.
	 */
	List<ServiceInstance> instances(String serviceName) {
		if (this.closed.get()) {
			return List.of();
		}
		ConsulServiceWatch watch = watchOf(serviceName);
		while (!watch.markRead()) {
			// retired as it was looked up: start a new one
			this.watches.remove(serviceName, watch);
			watch = watchOf(serviceName);
		}
		watch.awaitFirstAttempt(this.requestTimeout);
		return watch.instances();
	}

	/**
	 * Adds a watcher of a service, starting its watch if needed.
	 * @throws IllegalStateException if the registry is closed
	 */
	Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
		while (true) {
			ConsulServiceWatch watch = watchOf(serviceName);
			Subscription subscription = watch.addWatcher(listener);
			if (subscription != null) {
				return subscription;
			}
			// retired as it was looked up: start a new one
			this.watches.remove(serviceName, watch);
		}
	}

	/** The services watched that have at least one passing instance, sorted. */
	Set<String> serviceNames() {
		Set<String> names = new TreeSet<>();
		this.watches.forEach((name, watch) -> {
			if (!watch.instances().isEmpty()) {
				names.add(name);
			}
		});
		return Set.copyOf(names);
	}

	/** How many services have a running watch. */
	int size() {
		return this.watches.size();
	}

	/** From a changed blocking-query answer's arrival to its list handed to every watcher. */
	LatencyTally watchLag() {
		return this.shared.watchLag();
	}

	/** Stops retiring idle watches; for the registry's close, before {@link #stopAll()}. */
	void stopReclaiming() {
		this.reclaim.cancel(false);
	}

	/** Stops every watch and its callbacks. */
	void stopAll() {
		for (ConsulServiceWatch watch : List.copyOf(this.watches.values())) {
			watch.stop();
		}
		this.watches.clear();
	}

	private ConsulServiceWatch watchOf(String serviceName) {
		ensureOpen();
		ConsulServiceWatch watch = this.watches.computeIfAbsent(serviceName, (name) -> {
			ConsulServiceWatch created = new ConsulServiceWatch(name, this.shared);
			created.start();
			return created;
		});
		if (this.closed.get()) {
			// close() ran while this watch was being created: do not leave its queries running
			stopAll();
			ensureOpen();
		}
		return watch;
	}

	private void ensureOpen() {
		if (this.closed.get()) {
			throw new IllegalStateException("ConsulServiceRegistry is closed");
		}
	}

	/** Stops the watches without a watcher that nobody read for the idle timeout; on the scheduler. */
	private void reclaimIdleWatches() {
		try {
			long now = System.nanoTime();
			this.watches.forEach((name, watch) -> {
				if (watch.retireIfIdle(now, this.idleNanos)) {
					this.watches.remove(name, watch);
					logger.debug("Stopped the watch of service '{}': no watcher and no read for {}", name,
							Duration.ofNanos(this.idleNanos));
				}
			});
		}
		catch (RuntimeException ex) {
			logger.warn("Reclaiming idle Consul watches failed", ex);
		}
	}

	/**
	 * What every service watch uses.
	 * @param client the application's Consul client
	 * @param parser reads the answers
	 * @param reachability told of each answer and failure
	 * @param clock for the registration time of discovered instances
	 * @param scheduler the registry's scheduler, for the rate-limit pauses and the idle reclaim
	 * @param settings the watch settings
	 * @param watchLag from a changed answer's arrival to its list handed to every watcher
	 */
	record Shared(ConsulClient client, ConsulHealthParser parser, AgentReachability reachability, Clock clock,
			ScheduledExecutorService scheduler, Settings settings, LatencyTally watchLag) {
	}

	/**
	 * The settings every service watch shares.
	 * @param blockingWait the {@code wait} of blocking queries
	 * @param initialBackoff first pause after a failed query
	 * @param maxBackoff longest pause after failed queries
	 * @param queryRateInterval one query per interval once the burst is spent
	 * @param datacenter the datacenter queried, or {@code null} for the agent's
	 * @param idleTimeout how long a watch without a watcher lives after its last read
	 */
	record Settings(Duration blockingWait, Duration initialBackoff, Duration maxBackoff, Duration queryRateInterval,
			@Nullable String datacenter, Duration idleTimeout) {
	}

}
