package dev.grpcscale.health;

import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;

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

	private final ServiceDiscovery delegate;

	private final ProbeContext context;

	/** Guards the switch between probing and paused; taken before any tracker's lock. */
	private final Object pauseLock = new Object();

	private final ServiceHealthTrackers trackers;

	private HealthCheckingServiceDiscovery(Builder builder) {
		this.delegate = builder.delegate;
		this.context = new ProbeContext(HealthProbe.of(builder.options), builder.paused,
				HealthCheckScheduler.of(builder.scheduler), builder.channelFactory, builder.clock, builder.nanoTicker);
		this.trackers = new ServiceHealthTrackers(this.delegate, this.context);
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

	/** The options this discovery probes with (the last ones given to {@link #resume(HealthCheckOptions)}). */
	public HealthCheckOptions options() {
		return this.context.options();
	}

	/**
	 * Stops probing and shows every instance the delegate reports {@code UP} again, as if no probe had
	 * failed; watches stay open and keep following the delegate, and services asked about meanwhile are
	 * remembered. Probe channels are shut down. {@link #resume} starts probing again, afresh.
	 * @return whether probing was running
	 */
	public boolean pause() {
		synchronized (this.pauseLock) {
			if (this.context.paused() || this.trackers.isClosed()) {
				return false;
			}
			this.context.paused(true);
			this.trackers.pauseProbing();
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
			if (this.trackers.isClosed()) {
				throw new IllegalStateException("HealthCheckingServiceDiscovery is closed");
			}
			this.context.probe(HealthProbe.of(options));
			if (!this.context.paused()) {
				return false;
			}
			this.context.paused(false);
			this.trackers.resumeProbing();
		}
		logger.info("Health checks of discovered instances running: every {}, timeout {}, {} retries, endpoint '{}'",
				options.interval(), options.timeout(), options.retries(), options.endpoint());
		return true;
	}

	/** Whether instances are being probed: neither paused nor closed. */
	public boolean isRunning() {
		return !this.context.paused() && !this.trackers.isClosed();
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
		ServiceHealthTracker tracker = this.trackers.started(serviceName);
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
		ServiceHealthTracker tracker = this.trackers.existing(serviceName);
		return (tracker != null) ? tracker.view().markDown(instances) : instances;
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
		ServiceHealthTracker tracker = this.trackers.started(serviceName);
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
		return this.trackers.snapshot();
	}

	/**
	 * The health of the probed instances of one service, by instance id.
	 * @param serviceName the service name
	 * @return an immutable list, empty if the service is not probed
	 */
	public List<InstanceHealth> snapshot(String serviceName) {
		return this.trackers.snapshot(serviceName);
	}

	/**
	 * The services in panic mode: so few of their instances pass their probes that all of them are used
	 * (see {@link HealthCheckOptions#isPanic}).
	 * @return their names, sorted
	 */
	public Set<String> panicServices() {
		return this.trackers.panicServices();
	}

	/**
	 * Registers a listener of probes and status changes.
	 * @param listener the listener
	 * @return a handle that removes it
	 */
	public Subscription addListener(HealthCheckListener listener) {
		return this.context.listeners.add(listener);
	}

	/** Whether {@link #close()} was called. */
	public boolean isClosed() {
		return this.trackers.isClosed();
	}

	/**
	 * Stops probing, shuts down every probe channel, cancels the watches on the delegate and stops the
	 * watches of this discovery, then shuts down the scheduler if this discovery created it (an injected
	 * one is left running). Does not close the delegate. Idempotent.
	 */
	@Override
	public void close() {
		synchronized (this.pauseLock) {
			if (!this.trackers.markClosed()) {
				return;
			}
		}
		this.trackers.closeAll();
		this.context.scheduler.close();
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
