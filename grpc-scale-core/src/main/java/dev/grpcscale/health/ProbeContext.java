package dev.grpcscale.health;

import java.time.Clock;
import java.util.function.Function;
import java.util.function.LongSupplier;

import io.grpc.ManagedChannel;

import dev.grpcscale.discovery.ServiceInstance;

/**
 * What the {@link ServiceHealthTracker}s and {@link InstanceProber}s of one
 * {@link HealthCheckingServiceDiscovery} share: the probe the current options make, whether probing is paused,
 * the scheduler, the channel factory, the clock of {@link InstanceHealth#lastCheck()}, the ticker latencies are
 * measured with, and the listeners. The probe and the pause flag are switched by the discovery (under its pause
 * lock) and read anywhere.
 */
final class ProbeContext {

	final HealthCheckScheduler scheduler;

	final Function<ServiceInstance, ManagedChannel> channelFactory;

	final Clock clock;

	final LongSupplier ticker;

	final HealthCheckListeners listeners = new HealthCheckListeners();

	private volatile HealthProbe probe;

	private volatile boolean paused;

	ProbeContext(HealthProbe probe, boolean paused, HealthCheckScheduler scheduler,
			Function<ServiceInstance, ManagedChannel> channelFactory, Clock clock, LongSupplier ticker) {
		this.probe = probe;
		this.paused = paused;
		this.scheduler = scheduler;
		this.channelFactory = channelFactory;
		this.clock = clock;
		this.ticker = ticker;
	}

	/** The probe of the current options; each instance's next probe uses it. */
	HealthProbe probe() {
		return this.probe;
	}

	/** The current options. */
	HealthCheckOptions options() {
		return this.probe.options();
	}

	void probe(HealthProbe probe) {
		this.probe = probe;
	}

	/** Whether probing is paused: the delegate's instances pass through unprobed. */
	boolean paused() {
		return this.paused;
	}

	void paused(boolean paused) {
		this.paused = paused;
	}

}
