package dev.grpcscale.health;

import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.ServiceInstance;

/**
 * The probe loop of one instance: probes it over one channel, made by the channel factory at the first probe
 * and reused, hands each result to a scheduler thread, and schedules the next probe one interval after the
 * start of the last, so probes of one instance never overlap. {@link #shutdown()} cancels the next probe and
 * shuts the channel down.
 *
 * <p>The health state is guarded by the {@link ServiceHealthTracker}'s lock, which also sets {@link #stop()};
 * the channel and the next scheduled probe by this object's monitor.
 */
final class InstanceProber {

	/** Logs under the discovery's name, where health checks have always been logged. */
	private static final Logger logger = LoggerFactory.getLogger(HealthCheckingServiceDiscovery.class);

	final ServiceInstance instance;

	/** Guarded by the tracker's lock. */
	final InstanceHealthState state;

	private final ProbeContext context;

	private final Results results;

	/** Set under the tracker's lock when the instance leaves; read anywhere. */
	private volatile boolean stopped;

	private @Nullable ManagedChannel channel;

	private @Nullable ScheduledFuture<?> next;

	private volatile boolean warnedUnimplemented;

	InstanceProber(ServiceInstance instance, ProbeContext context, Results results) {
		this.instance = instance;
		this.state = new InstanceHealthState(instance);
		this.context = context;
		this.results = results;
	}

	/** Marks this prober stopped: nothing more is probed or recorded. Called holding the tracker's lock. */
	void stop() {
		this.stopped = true;
	}

	boolean isStopped() {
		return this.stopped;
	}

	/** Schedules the next probe, unless stopped; a rejection (a closed scheduler) is logged at debug. */
	synchronized void scheduleNext(long delayNanos) {
		if (this.stopped) {
			return;
		}
		try {
			this.next = this.context.scheduler.executor().schedule(this::probe, delayNanos, TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			logger.debug("Health-check scheduler rejected a probe of {} instance {}", this.instance.serviceName(),
					this.instance.instanceId());
		}
	}

	/** Schedules the next probe one interval after the start of the one that took {@code latencyNanos}. */
	void scheduleAfter(long latencyNanos, HealthCheckOptions options) {
		scheduleNext(Math.max(0, options.interval().toNanos() - latencyNanos));
	}

	/** Cancels the next probe and shuts the channel down. */
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
			this.channel = Objects.requireNonNull(this.context.channelFactory.apply(this.instance), "channel");
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
			complete("channel factory failed: " + ex, this.context.ticker.getAsLong());
			return;
		}
		if (current == null) {
			return;
		}
		long start = this.context.ticker.getAsLong();
		this.context.probe().check(current, (error, unimplemented) -> {
			if (unimplemented) {
				warnUnimplemented();
			}
			complete(error, start);
		});
	}

	/**
	 * The server answered that it has no health service: such an instance counts as healthy, as gRPC's
	 * client-side health checking does, with one warning.
	 */
	private void warnUnimplemented() {
		if (!this.warnedUnimplemented) {
			this.warnedUnimplemented = true;
			logger.warn("{} instance {} at {} does not serve grpc.health.v1.Health (UNIMPLEMENTED): counted "
					+ "healthy, so only its calls and circuit breakers tell when it fails", this.instance.serviceName(),
					this.instance.instanceId(), this.instance.address());
		}
	}

	/** Hands a probe's result over to a scheduler thread (it may arrive on a transport thread). */
	private void complete(@Nullable String error, long start) {
		long latency = this.context.ticker.getAsLong() - start;
		if (this.stopped) {
			return;
		}
		try {
			this.context.scheduler.executor().execute(() -> this.results.record(this, error, latency));
		}
		catch (RejectedExecutionException ex) {
			logger.debug("Health-check scheduler rejected the result of a probe of {} instance {}",
					this.instance.serviceName(), this.instance.instanceId());
		}
	}

	/** Where a prober's results go, on a scheduler thread. */
	@FunctionalInterface
	interface Results {

		/**
		 * Records the end of a probe; schedules the next one unless the prober was stopped meanwhile.
		 * @param prober the prober
		 * @param error why the probe failed, {@code null} for a success
		 * @param latencyNanos how long it took
		 */
		void record(InstanceProber prober, @Nullable String error, long latencyNanos);

	}

}
