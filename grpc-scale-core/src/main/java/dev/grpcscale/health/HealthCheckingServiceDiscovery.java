package dev.grpcscale.health;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.internal.VersionedListener;

/**
 * A {@link ServiceDiscovery} that probes the instances another discovery reports, with
 * {@code grpc.health.v1.Health/Check}, and hides those that fail: after {@link HealthCheckOptions#retries()}
 * consecutive failed probes (an error, a timeout, or a serving status other than {@code SERVING}) an
 * instance is marked {@link InstanceStatus#DOWN}, leaves {@link #getInstances} and every watch's list, and so
 * leaves the load balancing of the {@code discovery:///} channels bound to this discovery. One successful
 * probe brings it back, and watchers are told both ways.
 *
 * <pre>{@code
 * HealthCheckingServiceDiscovery discovery = HealthCheckingServiceDiscovery.builder(registry)
 *     .options(HealthCheckOptions.builder().interval(Duration.ofSeconds(10)).build())
 *     .build();
 * ManagedChannel channel = DiscoveryNameResolverProvider.configure(
 *         ManagedChannelBuilder.forTarget("discovery:///product-service").usePlaintext(), discovery)
 *     .build();
 * }</pre>
 *
 * <p>What is probed: the services asked about through this discovery with {@link #watch} or
 * {@link #getInstances}, that is the services this application calls, from the first time they are asked
 * about until {@link #close()}. Each of their {@code UP} instances is probed as soon as it is
 * discovered, then every {@link HealthCheckOptions#interval()}; probes of one instance never overlap and each
 * has a deadline of {@link HealthCheckOptions#timeout()}. A new instance counts as {@code UP} until probes
 * say otherwise. An instance that leaves the delegate (or turns {@code DOWN} there) stops being probed and
 * its probe channel is shut down; an instance re-registered under the same id at another address is
 * probed afresh.
 *
 * <p>Probes are asynchronous: no thread waits for an answer. They run on one {@link ScheduledExecutorService}
 * (injectable; the default one has a single daemon thread named {@code grpc-scale-health-N}), over one
 * channel per instance made by the channel factory (default: plaintext
 * {@link ManagedChannelBuilder#forAddress(String, int)}) and reused across probes. Probe channels carry no
 * interceptors: health-check calls never go through an application's circuit breakers. When a probe
 * channel is in {@link ConnectivityState#TRANSIENT_FAILURE}, its reconnect backoff is reset before the next
 * probe, so a recovered instance is seen at the next probe rather than after gRPC's backoff (up to two
 * minutes).
 *
 * <p>A server that answers {@code UNIMPLEMENTED} (it has no health service) counts as healthy, with one
 * warning per instance, as gRPC's client-side health checking does. When too few instances of a service
 * pass their probes (none, by default), the service is in panic mode ({@link HealthCheckOptions#isPanic}):
 * every instance the delegate reports is used, as if none had failed, until more pass again; logged, and
 * listed by {@link #panicServices()}.
 *
 * <p>Probing can be paused and resumed ({@link #pause()}, {@link #resume(HealthCheckOptions)}): while
 * paused the delegate's {@code UP} instances pass through unfiltered and unprobed, and watches stay open, so
 * channels and other readers bound to this one object never have to be moved to another discovery. The
 * Spring Boot starter defines it as a bean over the backend, paused until the application starts.
 *
 * <p>Limits: a server that answers {@code SERVING} while its services fail is not detected (that is the
 * circuit breakers' job); an instance hidden by health checks is still in {@link #getAllInstances} (as
 * {@code DOWN}) and {@link #getServiceNames()}. After {@link #close()} reads pass through to the delegate
 * unfiltered, existing watches receive nothing more and {@link #watch} throws: close the channels bound to
 * this discovery first.
 *
 * <p>Thread-safe. Watch listeners get the guarantees of {@link ServiceDiscovery#watch}.
 */
public final class HealthCheckingServiceDiscovery implements ServiceDiscovery, AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(HealthCheckingServiceDiscovery.class);

	private static final AtomicInteger SCHEDULER_COUNT = new AtomicInteger();

	private final ServiceDiscovery delegate;

	private volatile Probing probing;

	/** Guards the switch between probing and paused; taken before any tracker's lock. */
	private final Object pauseLock = new Object();

	private volatile boolean paused;

	private final ScheduledExecutorService scheduler;

	private final @Nullable Set<Thread> ownThreads;

	private final Function<ServiceInstance, ManagedChannel> channelFactory;

	private final Clock clock;

	private final LongSupplier nanoTicker;

	private final Map<String, ServiceTracker> trackers = new ConcurrentHashMap<>();

	private final List<HealthCheckListener> listeners = new CopyOnWriteArrayList<>();

	private final AtomicBoolean closed = new AtomicBoolean();

	private HealthCheckingServiceDiscovery(Builder builder) {
		this.delegate = builder.delegate;
		this.probing = new Probing(builder.options);
		this.paused = builder.paused;
		this.channelFactory = builder.channelFactory;
		this.clock = builder.clock;
		this.nanoTicker = builder.nanoTicker;
		if (builder.scheduler != null) {
			this.scheduler = builder.scheduler;
			this.ownThreads = null;
		}
		else {
			Set<Thread> threads = ConcurrentHashMap.newKeySet();
			this.scheduler = newScheduler(threads);
			this.ownThreads = threads;
		}
	}

	/**
	 * Starts a builder.
	 * @param delegate the discovery whose instances are probed
	 * @return a builder with the default options
	 */
	public static Builder builder(ServiceDiscovery delegate) {
		return new Builder(delegate);
	}

	/**
	 * A health-checking discovery with the default scheduler and channel factory.
	 * @param delegate the discovery whose instances are probed
	 * @param options how to probe
	 * @return a running discovery; close it when done
	 */
	public static HealthCheckingServiceDiscovery of(ServiceDiscovery delegate, HealthCheckOptions options) {
		return builder(delegate).options(options).build();
	}

	private static ScheduledExecutorService newScheduler(Set<Thread> threads) {
		String name = "grpc-scale-health-" + SCHEDULER_COUNT.incrementAndGet();
		ThreadFactory factory = (runnable) -> {
			Thread thread = new Thread(() -> {
				try {
					runnable.run();
				}
				finally {
					threads.remove(Thread.currentThread());
				}
			}, name);
			thread.setDaemon(true);
			threads.add(thread);
			return thread;
		};
		ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, factory);
		executor.setRemoveOnCancelPolicy(true);
		return executor;
	}

	/** The options this discovery probes with (the last ones given to {@link #resume(HealthCheckOptions)}). */
	public HealthCheckOptions options() {
		return this.probing.options();
	}

	/**
	 * Stops probing and shows every instance the delegate reports {@code UP} again, as if no probe had
	 * failed; watches stay open and keep following the delegate, and services asked about meanwhile are
	 * remembered. Probe channels are shut down. {@link #resume} starts probing again, afresh.
	 * @return whether probing was running
	 */
	public boolean pause() {
		synchronized (this.pauseLock) {
			if (this.paused || this.closed.get()) {
				return false;
			}
			this.paused = true;
			for (ServiceTracker tracker : this.trackers.values()) {
				tracker.pauseProbing();
			}
		}
		logger.info("Health checks of discovered instances paused");
		return true;
	}

	/**
	 * Starts probing again, with the same options; see {@link #resume(HealthCheckOptions)}.
	 * @return whether probing was paused
	 */
	public boolean resume() {
		return resume(options());
	}

	/**
	 * Starts probing with these options: every instance of the services asked about is probed at once,
	 * then every {@code interval}, each counting as {@code UP} until probes say otherwise. Probing that
	 * already runs goes on, with these options from each instance's next probe.
	 * @param options how to probe from now on
	 * @return whether probing was paused
	 * @throws IllegalStateException if this discovery is closed
	 */
	public boolean resume(HealthCheckOptions options) {
		Objects.requireNonNull(options, "options");
		synchronized (this.pauseLock) {
			if (this.closed.get()) {
				throw new IllegalStateException("HealthCheckingServiceDiscovery is closed");
			}
			this.probing = new Probing(options);
			if (!this.paused) {
				return false;
			}
			this.paused = false;
			for (ServiceTracker tracker : this.trackers.values()) {
				tracker.resumeProbing();
			}
		}
		logger.info("Health checks of discovered instances running: every {}, timeout {}, {} retries, endpoint '{}'",
				options.interval(), options.timeout(), options.retries(), options.endpoint());
		return true;
	}

	/** Whether instances are being probed: neither paused nor closed. */
	public boolean isRunning() {
		return !this.paused && !this.closed.get();
	}

	/** The discovery this one decorates. */
	public ServiceDiscovery delegate() {
		return this.delegate;
	}

	/**
	 * The delegate's {@code UP} instances of a service, minus those marked down by health checks. Starts
	 * probing the service if it was not yet. The filtered list is kept per service and computed again
	 * only when the delegate's list (a new list object) or the health view changed, so a read costs the
	 * delegate's read and a lookup, not a pass over the instances.
	 */
	@Override
	public List<ServiceInstance> getInstances(String serviceName) {
		List<ServiceInstance> instances = this.delegate.getInstances(serviceName);
		ServiceTracker tracker = tracker(serviceName);
		if (tracker == null) {
			return instances;
		}
		return tracker.passing(instances);
	}

	/**
	 * Every instance the delegate knows, those marked down by health checks reported
	 * {@link InstanceStatus#DOWN}. An inspection read: it does not start probing a service (so a status view
	 * listing every service does not probe them all).
	 */
	@Override
	public List<ServiceInstance> getAllInstances(String serviceName) {
		List<ServiceInstance> instances = this.delegate.getAllInstances(serviceName);
		ServiceTracker tracker = this.closed.get() ? null : this.trackers.get(serviceName);
		if (tracker == null) {
			return instances;
		}
		Set<String> down = tracker.view.down();
		if (down.isEmpty()) {
			return instances;
		}
		return instances.stream()
			.map((instance) -> down.contains(key(instance)) ? instance.withStatus(InstanceStatus.DOWN) : instance)
			.toList();
	}

	/** The delegate's service names; does not start probing. */
	@Override
	public Set<String> getServiceNames() {
		return this.delegate.getServiceNames();
	}

	/**
	 * Follows the instances of a service that are {@code UP} in the delegate and not marked down by health
	 * checks; starts probing the service if it was not yet. The first call of the listener waits for the
	 * delegate's first list.
	 * @throws IllegalStateException if this discovery is closed
	 */
	@Override
	public Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
		Objects.requireNonNull(serviceName, "serviceName");
		Objects.requireNonNull(listener, "listener");
		ServiceTracker tracker = tracker(serviceName);
		if (tracker == null) {
			throw new IllegalStateException("HealthCheckingServiceDiscovery is closed");
		}
		return tracker.addWatcher(listener);
	}

	/** The delegate's status. */
	@Override
	public DiscoveryStatus status() {
		return this.delegate.status();
	}

	/**
	 * The health of every instance being probed, by service name then instance id.
	 * @return an immutable list
	 */
	public List<InstanceHealth> snapshot() {
		List<InstanceHealth> result = new ArrayList<>();
		for (ServiceTracker tracker : this.trackers.values()) {
			result.addAll(tracker.snapshot());
		}
		result.sort(Comparator.comparing(InstanceHealth::serviceName).thenComparing(InstanceHealth::instanceId));
		return List.copyOf(result);
	}

	/**
	 * The health of the probed instances of one service, by instance id.
	 * @param serviceName the service name
	 * @return an immutable list, empty if the service is not probed
	 */
	public List<InstanceHealth> snapshot(String serviceName) {
		ServiceTracker tracker = this.trackers.get(serviceName);
		if (tracker == null) {
			return List.of();
		}
		List<InstanceHealth> result = new ArrayList<>(tracker.snapshot());
		result.sort(Comparator.comparing(InstanceHealth::instanceId));
		return List.copyOf(result);
	}

	/**
	 * The services in panic mode: so few of their instances pass their probes that all of them are used
	 * (see {@link HealthCheckOptions#isPanic}).
	 * @return their names, sorted
	 */
	public Set<String> panicServices() {
		java.util.SortedSet<String> result = new java.util.TreeSet<>();
		this.trackers.forEach((name, tracker) -> {
			if (tracker.view.panic()) {
				result.add(name);
			}
		});
		return java.util.Collections.unmodifiableSortedSet(result);
	}

	/**
	 * Registers a listener of probes and status changes.
	 * @param listener the listener
	 * @return a handle that removes it
	 */
	public Subscription addListener(HealthCheckListener listener) {
		Objects.requireNonNull(listener, "listener");
		this.listeners.add(listener);
		return () -> this.listeners.remove(listener);
	}

	/** Whether {@link #close()} was called. */
	public boolean isClosed() {
		return this.closed.get();
	}

	/**
	 * Stops probing, shuts down every probe channel, cancels the watches on the delegate and stops the
	 * watches of this discovery, then shuts down the scheduler if this discovery created it (an injected
	 * one is left running). Does not close the delegate. Idempotent.
	 */
	@Override
	public void close() {
		synchronized (this.pauseLock) {
			if (!this.closed.compareAndSet(false, true)) {
				return;
			}
		}
		for (ServiceTracker tracker : this.trackers.values()) {
			tracker.close();
		}
		this.trackers.clear();
		if (this.ownThreads != null) {
			this.scheduler.shutdownNow();
			if (!this.ownThreads.contains(Thread.currentThread())) {
				try {
					this.scheduler.awaitTermination(5, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
		}
	}

	/** The tracker of a service, started; {@code null} once closed. */
	private @Nullable ServiceTracker tracker(String serviceName) {
		if (this.closed.get()) {
			return null;
		}
		ServiceTracker tracker = this.trackers.computeIfAbsent(serviceName, ServiceTracker::new);
		tracker.ensureStarted();
		if (this.closed.get()) {
			// close() ran while this tracker was being created: it may have missed it
			this.trackers.remove(serviceName, tracker);
			tracker.close();
			return null;
		}
		return tracker;
	}

	private void notifyCheck(InstanceHealth health) {
		for (HealthCheckListener listener : this.listeners) {
			try {
				listener.onCheck(health);
			}
			catch (RuntimeException ex) {
				logger.warn("Health-check listener failed on a check of {} instance {}", health.serviceName(),
						health.instanceId(), ex);
			}
		}
	}

	private void notifyStatusChange(InstanceHealth health) {
		for (HealthCheckListener listener : this.listeners) {
			try {
				listener.onStatusChange(health);
			}
			catch (RuntimeException ex) {
				logger.warn("Health-check listener failed on a status change of {} instance {}",
						health.serviceName(), health.instanceId(), ex);
			}
		}
	}

	private static String key(ServiceInstance instance) {
		return instance.instanceId() + '@' + instance.address();
	}

	private static String describe(Status status) {
		return (status.getDescription() != null) ? status.getCode() + ": " + status.getDescription()
				: status.getCode().toString();
	}

	/** The options of the probes, and the request they send. */
	private record Probing(HealthCheckOptions options, HealthCheckRequest request) {

		Probing(HealthCheckOptions options) {
			this(options, HealthCheckRequest.newBuilder().setService(options.endpoint()).build());
		}

	}

	/** What watchers of one service see, at one version. */
	private record View(long version, List<ServiceInstance> up, Set<String> down, boolean panic) {

		static final View INITIAL = new View(0, List.of(), Set.of(), false);

		/** The instances of a list of the delegate's this view lets through. */
		List<ServiceInstance> filter(List<ServiceInstance> instances) {
			if (this.down.isEmpty() || this.panic) {
				return instances;
			}
			return instances.stream().filter((instance) -> !this.down.contains(key(instance))).toList();
		}

	}

	/** {@link #getInstances}'s last answer for a service: a list of the delegate's as one view filtered it. */
	private record Filtered(List<ServiceInstance> source, View view, List<ServiceInstance> passing) {

		static final Filtered NONE = new Filtered(List.of(), View.INITIAL, List.of());

	}

	/**
	 * The probing of one service: follows the delegate's watch, keeps one prober per {@code UP} instance
	 * and publishes the filtered list to watchers. Prober state is guarded by {@link #lock}; nothing
	 * outside this class (delegate, watchers, listeners, channels) is called while holding it.
	 */
	private final class ServiceTracker {

		private final String serviceName;

		private final Object lock = new Object();

		/** Guards starting and closing, and is never taken by the delegate's callbacks. */
		private final Object startLock = new Object();

		private final Map<String, InstanceProber> probers = new HashMap<>();

		private final Set<VersionedListener> watchers = ConcurrentHashMap.newKeySet();

		private List<ServiceInstance> discovered = List.of();

		private volatile View view = View.INITIAL;

		/** Replaced, never changed: readers racing on it at worst compute the same list twice. */
		private volatile Filtered filtered = Filtered.NONE;

		private @Nullable Subscription delegateSubscription;

		private boolean started;

		private volatile boolean trackerClosed;

		ServiceTracker(String serviceName) {
			this.serviceName = serviceName;
		}

		void ensureStarted() {
			synchronized (this.startLock) {
				if (this.started || this.trackerClosed) {
					return;
				}
				this.started = true;
				this.delegateSubscription = delegate.watch(this.serviceName, this::onDelegateUpdate);
			}
		}

		Subscription addWatcher(Consumer<List<ServiceInstance>> listener) {
			VersionedListener watcher = new VersionedListener(logger, this.serviceName, listener, false);
			this.watchers.add(watcher);
			View current = this.view;
			if (current.version() > 0) {
				watcher.deliver(current.version(), current.up());
			}
			return () -> {
				watcher.cancel();
				this.watchers.remove(watcher);
			};
		}

		/** The delegate's list as the current view filters it, computed once per list and view. */
		List<ServiceInstance> passing(List<ServiceInstance> instances) {
			View current = this.view;
			Filtered last = this.filtered;
			if (last.source() == instances && last.view() == current) {
				return last.passing();
			}
			List<ServiceInstance> passing = current.filter(instances);
			this.filtered = new Filtered(instances, current, passing);
			return passing;
		}

		List<InstanceHealth> snapshot() {
			synchronized (this.lock) {
				return this.probers.values().stream().map(InstanceProber::health).toList();
			}
		}

		private void onDelegateUpdate(List<ServiceInstance> instances) {
			List<InstanceProber> started = new ArrayList<>();
			List<InstanceProber> stopped = new ArrayList<>();
			View published;
			synchronized (this.lock) {
				if (this.trackerClosed) {
					return;
				}
				this.discovered = List.copyOf(instances);
				Set<String> present = new HashSet<>();
				for (ServiceInstance instance : this.discovered) {
					present.add(instance.instanceId());
					if (paused) {
						continue;
					}
					InstanceProber existing = this.probers.get(instance.instanceId());
					if (existing != null && existing.instance.address().equals(instance.address())) {
						continue;
					}
					if (existing != null) {
						existing.stopped = true;
						stopped.add(existing);
					}
					InstanceProber prober = new InstanceProber(this, instance);
					this.probers.put(instance.instanceId(), prober);
					started.add(prober);
				}
				this.probers.values().removeIf((prober) -> {
					if (present.contains(prober.instance.instanceId())) {
						return false;
					}
					prober.stopped = true;
					stopped.add(prober);
					return true;
				});
				published = nextView();
			}
			for (InstanceProber prober : stopped) {
				logger.debug("Stopped health checks of {} instance {} at {}", this.serviceName,
						prober.instance.instanceId(), prober.instance.address());
				prober.shutdown();
			}
			for (InstanceProber prober : started) {
				prober.scheduleNext(0);
			}
			publish(published);
		}

		/** Stops every prober and publishes the delegate's list unfiltered; called holding the pause lock. */
		void pauseProbing() {
			List<InstanceProber> stopped;
			View published;
			synchronized (this.lock) {
				if (this.trackerClosed) {
					return;
				}
				stopped = new ArrayList<>(this.probers.values());
				stopped.forEach((prober) -> prober.stopped = true);
				this.probers.clear();
				published = nextView();
			}
			stopped.forEach(InstanceProber::shutdown);
			publish(published);
		}

		/** Starts a prober for every discovered instance; called holding the pause lock. */
		void resumeProbing() {
			List<InstanceProber> started = new ArrayList<>();
			synchronized (this.lock) {
				if (this.trackerClosed) {
					return;
				}
				for (ServiceInstance instance : this.discovered) {
					if (!this.probers.containsKey(instance.instanceId())) {
						InstanceProber prober = new InstanceProber(this, instance);
						this.probers.put(instance.instanceId(), prober);
						started.add(prober);
					}
				}
			}
			started.forEach((prober) -> prober.scheduleNext(0));
		}

		/** Records the end of a probe, on a scheduler thread. */
		void record(InstanceProber prober, @Nullable String error, long latencyNanos) {
			InstanceHealth health;
			View published = null;
			boolean changed = false;
			HealthCheckOptions options = probing.options();
			synchronized (this.lock) {
				if (prober.stopped) {
					return;
				}
				prober.lastCheck = clock.instant();
				prober.lastLatency = Duration.ofNanos(latencyNanos);
				prober.lastError = error;
				if (error == null) {
					prober.consecutiveFailures = 0;
					if (prober.status == InstanceStatus.DOWN) {
						prober.status = InstanceStatus.UP;
						changed = true;
					}
				}
				else {
					prober.consecutiveFailures++;
					if (prober.status == InstanceStatus.UP && prober.consecutiveFailures >= options.retries()) {
						prober.status = InstanceStatus.DOWN;
						changed = true;
					}
				}
				if (changed) {
					published = nextView();
				}
				health = prober.health();
			}
			if (error != null) {
				logger.debug("Health check of {} instance {} at {} failed ({} in a row): {}", this.serviceName,
						health.instanceId(), health.address(), health.consecutiveFailures(), error);
			}
			if (changed) {
				if (health.isUp()) {
					logger.info("{} instance {} at {} is back UP: health check succeeded", this.serviceName,
							health.instanceId(), health.address());
				}
				else {
					logger.warn("{} instance {} at {} marked DOWN after {} failed health checks, last: {}",
							this.serviceName, health.instanceId(), health.address(), health.consecutiveFailures(),
							error);
				}
			}
			if (published != null) {
				publish(published);
			}
			notifyCheck(health);
			if (changed) {
				notifyStatusChange(health);
			}
			long interval = options.interval().toNanos();
			prober.scheduleNext(Math.max(0, interval - latencyNanos));
		}

		/** A new view of the current state; called holding {@link #lock}. */
		private View nextView() {
			Set<String> down = new HashSet<>();
			for (InstanceProber prober : this.probers.values()) {
				if (prober.status == InstanceStatus.DOWN) {
					down.add(key(prober.instance));
				}
			}
			List<ServiceInstance> passing = this.discovered.stream()
				.filter((instance) -> !down.contains(key(instance)))
				.toList();
			boolean panic = !down.isEmpty()
					&& probing.options().isPanic(passing.size(), this.discovered.size());
			if (panic != this.view.panic()) {
				if (panic) {
					logger.warn("Panic mode for '{}': {} of {} instances pass their health checks; using all of them "
							+ "until more pass", this.serviceName, passing.size(), this.discovered.size());
				}
				else {
					logger.info("Panic mode for '{}' ended: {} of {} instances pass their health checks",
							this.serviceName, passing.size(), this.discovered.size());
				}
			}
			View next = new View(this.view.version() + 1, panic ? this.discovered : passing, Set.copyOf(down), panic);
			this.view = next;
			return next;
		}

		private void publish(View published) {
			for (VersionedListener watcher : this.watchers) {
				watcher.deliver(published.version(), published.up());
			}
		}

		void close() {
			Subscription subscription;
			List<InstanceProber> stopped;
			synchronized (this.startLock) {
				this.trackerClosed = true;
				subscription = this.delegateSubscription;
				this.delegateSubscription = null;
			}
			synchronized (this.lock) {
				stopped = new ArrayList<>(this.probers.values());
				stopped.forEach((prober) -> prober.stopped = true);
				this.probers.clear();
			}
			if (subscription != null) {
				subscription.cancel();
			}
			for (VersionedListener watcher : this.watchers) {
				watcher.cancel();
			}
			this.watchers.clear();
			stopped.forEach(InstanceProber::shutdown);
		}

	}

	/**
	 * Probes one instance. Health state is guarded by the tracker's lock; the channel and the next
	 * scheduled probe by this object's monitor.
	 */
	private final class InstanceProber {

		private final ServiceTracker tracker;

		final ServiceInstance instance;

		/** Set under the tracker's lock when the instance leaves; read anywhere. */
		volatile boolean stopped;

		InstanceStatus status = InstanceStatus.UP;

		int consecutiveFailures;

		@Nullable Instant lastCheck;

		@Nullable Duration lastLatency;

		@Nullable String lastError;

		private @Nullable ManagedChannel channel;

		private @Nullable ScheduledFuture<?> next;

		private volatile boolean warnedUnimplemented;

		InstanceProber(ServiceTracker tracker, ServiceInstance instance) {
			this.tracker = tracker;
			this.instance = instance;
		}

		InstanceHealth health() {
			return new InstanceHealth(this.instance.serviceName(), this.instance.instanceId(),
					this.instance.address(), this.status, this.consecutiveFailures, this.lastCheck, this.lastLatency,
					this.lastError);
		}

		synchronized void scheduleNext(long delayNanos) {
			if (this.stopped) {
				return;
			}
			try {
				this.next = scheduler.schedule(this::probe, delayNanos, TimeUnit.NANOSECONDS);
			}
			catch (RejectedExecutionException ex) {
				logger.debug("Health-check scheduler rejected a probe of {} instance {}", this.instance.serviceName(),
						this.instance.instanceId());
			}
		}

		synchronized void shutdown() {
			if (this.next != null) {
				this.next.cancel(false);
				this.next = null;
			}
			if (this.channel != null) {
				this.channel.shutdownNow();
				this.channel = null;
			}
		}

		private synchronized @Nullable ManagedChannel channel() {
			if (this.stopped) {
				return null;
			}
			if (this.channel == null) {
				this.channel = Objects.requireNonNull(channelFactory.apply(this.instance), "channel");
			}
			return this.channel;
		}

		/** Starts one probe, on a scheduler thread; its result is recorded on a scheduler thread too. */
		private void probe() {
			if (this.stopped) {
				return;
			}
			ManagedChannel current;
			try {
				current = channel();
			}
			catch (RuntimeException ex) {
				complete("channel factory failed: " + ex, nanoTicker.getAsLong());
				return;
			}
			if (current == null) {
				return;
			}
			long start = nanoTicker.getAsLong();
			Probing probe = probing;
			if (current.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
				current.resetConnectBackoff();
			}
			AtomicBoolean done = new AtomicBoolean();
			try {
				HealthGrpc.newStub(current)
					.withExecutor(Runnable::run)
					.withDeadlineAfter(probe.options().timeout().toNanos(), TimeUnit.NANOSECONDS)
					.check(probe.request(), new StreamObserver<>() {

						@Override
						public void onNext(HealthCheckResponse response) {
							if (done.compareAndSet(false, true)) {
								ServingStatus serving = response.getStatus();
								complete((serving == ServingStatus.SERVING) ? null : serving.toString(), start);
							}
						}

						@Override
						public void onError(Throwable error) {
							if (done.compareAndSet(false, true)) {
								Status status = Status.fromThrowable(error);
								complete(unimplemented(status) ? null : describe(status), start);
							}
						}

						@Override
						public void onCompleted() {
							if (done.compareAndSet(false, true)) {
								complete("INTERNAL: completed without a response", start);
							}
						}

					});
			}
			catch (RuntimeException ex) {
				if (done.compareAndSet(false, true)) {
					complete(describe(Status.fromThrowable(ex)), start);
				}
			}
		}

		/**
		 * Whether the server answered that it has no health service: such an instance counts as healthy,
		 * as gRPC's client-side health checking does, with one warning.
		 */
		private boolean unimplemented(Status status) {
			if (status.getCode() != Status.Code.UNIMPLEMENTED) {
				return false;
			}
			if (!this.warnedUnimplemented) {
				this.warnedUnimplemented = true;
				logger.warn("{} instance {} at {} does not serve grpc.health.v1.Health (UNIMPLEMENTED): counted "
						+ "healthy, so only its calls and circuit breakers tell when it fails", this.instance.serviceName(),
						this.instance.instanceId(), this.instance.address());
			}
			return true;
		}

		/** Hands a probe's result over to a scheduler thread (it may arrive on a transport thread). */
		private void complete(@Nullable String error, long start) {
			long latency = nanoTicker.getAsLong() - start;
			if (this.stopped) {
				return;
			}
			try {
				scheduler.execute(() -> this.tracker.record(this, error, latency));
			}
			catch (RejectedExecutionException ex) {
				logger.debug("Health-check scheduler rejected the result of a probe of {} instance {}",
						this.instance.serviceName(), this.instance.instanceId());
			}
		}

	}

	/** Settings of a {@link HealthCheckingServiceDiscovery}. */
	public static final class Builder {

		private final ServiceDiscovery delegate;

		private HealthCheckOptions options = HealthCheckOptions.defaults();

		private boolean paused;

		private @Nullable ScheduledExecutorService scheduler;

		private Function<ServiceInstance, ManagedChannel> channelFactory = Builder::plaintextChannel;

		private Clock clock = Clock.systemUTC();

		private LongSupplier nanoTicker = System::nanoTime;

		private Builder(ServiceDiscovery delegate) {
			this.delegate = Objects.requireNonNull(delegate, "delegate");
		}

		private static ManagedChannel plaintextChannel(ServiceInstance instance) {
			return ManagedChannelBuilder.forAddress(instance.host(), instance.port()).usePlaintext().build();
		}

		/** How to probe; default {@link HealthCheckOptions#defaults()}. */
		public Builder options(HealthCheckOptions options) {
			this.options = Objects.requireNonNull(options, "options");
			return this;
		}

		/**
		 * Whether the discovery starts paused, passing the delegate's instances through unprobed until
		 * {@link HealthCheckingServiceDiscovery#resume} is called; default {@code false}, probing from the
		 * start.
		 */
		public Builder paused(boolean paused) {
			this.paused = paused;
			return this;
		}

		/**
		 * The scheduler probes run on; it is not shut down by {@link #close()}. Default: one created and
		 * owned by the discovery, with one daemon thread named {@code grpc-scale-health-N}. Probes never
		 * block a scheduler thread, so one thread serves many instances; with several threads, listeners
		 * may be called concurrently for different instances.
		 */
		public Builder scheduler(ScheduledExecutorService scheduler) {
			this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
			return this;
		}

		/**
		 * Makes the channel that probes one instance; called once per instance (and again if it comes
		 * back at another address), and the channel is shut down when the instance leaves or on close.
		 * Default: {@code ManagedChannelBuilder.forAddress(host, port).usePlaintext().build()}. Use it for
		 * TLS or an in-process transport; add no interceptors that count calls.
		 */
		public Builder channelFactory(Function<ServiceInstance, ManagedChannel> channelFactory) {
			this.channelFactory = Objects.requireNonNull(channelFactory, "channelFactory");
			return this;
		}

		/** The clock of {@link InstanceHealth#lastCheck()}; default the system UTC clock. */
		public Builder clock(Clock clock) {
			this.clock = Objects.requireNonNull(clock, "clock");
			return this;
		}

		/**
		 * The monotonic nanosecond ticker probe latencies are measured with, and probe starts spaced by;
		 * default {@link System#nanoTime()}.
		 */
		public Builder ticker(LongSupplier nanoTicker) {
			this.nanoTicker = Objects.requireNonNull(nanoTicker, "nanoTicker");
			return this;
		}

		/** Builds the discovery; probing starts when a service is first asked about. */
		public HealthCheckingServiceDiscovery build() {
			return new HealthCheckingServiceDiscovery(this);
		}

	}

}
