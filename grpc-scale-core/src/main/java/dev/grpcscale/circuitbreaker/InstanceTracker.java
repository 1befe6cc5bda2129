package dev.grpcscale.circuitbreaker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.ConnectivityState;
import io.grpc.SynchronizationContext.ScheduledHandle;
import org.jspecify.annotations.Nullable;

/**
 * The subchannels of one instance in one channel, and what the instance's breaker lets them do: out of the
 * rotation while the breaker is not closed ({@link #ejected}), offered for the half-open breaker's trial call
 * once the recovery timeout has passed ({@link #probing}). It holds the instance's breaker while it has a
 * subchannel and lets go of it with the last one.
 *
 * <p>Everything but {@link #trialInFlight} and the reads of {@link #entry} runs in the channel's
 * {@code SynchronizationContext}.
 */
final class InstanceTracker {

	/** The longest instance retention a sweep is scheduled for on the channel's timer. */
	private static final Duration MAX_SWEEP_DELAY = Duration.ofDays(1);

	final String name;

	final BreakerEntry entry;

	/** The channel's trackers this one belongs to. */
	private final InstanceTrackers owner;

	/** Where {@link #entry} is held while this tracker lives. */
	private final GrpcCircuitBreakers breakers;

	private boolean released;

	/**
	 * The instance's subchannels, each once (the wrapper is new for every subchannel the child creates); a
	 * list read by index, so that the reads of every picker build allocate nothing.
	 */
	final List<BreakerSubchannel> subchannels = new ArrayList<>(1);

	/** Out of the rotation: the breaker is not closed. */
	boolean ejected;

	/** May receive the trial call of its half-open breaker. */
	boolean probing;

	/** A trial call was picked and has not ended; read and written by pickers and tracers. */
	final AtomicBoolean trialInFlight = new AtomicBoolean();

	private @Nullable ScheduledHandle probeTimer;

	/** The breaker state the last reconcile saw. */
	private CircuitBreaker.@Nullable State seen;

	InstanceTracker(String name, InstanceTrackers owner, GrpcCircuitBreakers breakers, BreakerEntry entry) {
		this.name = name;
		this.owner = owner;
		this.breakers = breakers;
		this.entry = entry;
	}

	/**
	 * Lets go of the instance's breaker, once: no subchannel of this channel uses the instance any more.
	 * The breaker is removed once its retention has passed; a sweep is scheduled for then, in case nothing
	 * else creates or lets go of a breaker meanwhile.
	 */
	void release() {
		if (this.released) {
			return;
		}
		this.released = true;
		this.breakers.release(this.entry);
		Duration retention = this.breakers.instanceRetention();
		if (retention.compareTo(MAX_SWEEP_DELAY) > 0) {
			// a sweep that far ahead would only hold the timer: creations and releases sweep meanwhile
			return;
		}
		long delay = retention.toMillis() + 1;
		try {
			this.owner.timer.schedule(this.breakers::removeExpiredInstanceBreakers, delay, TimeUnit.MILLISECONDS);
		}
		catch (RuntimeException ex) {
			// the channel's timer is gone: the next breaker created or let go sweeps
		}
	}

	/** Brings the ejection and the probe in line with the breaker's current state. */
	void reconcile() {
		CircuitBreaker.State state = this.entry.breaker.getState();
		boolean entered = state != this.seen;
		this.seen = state;
		switch (state) {
			case OPEN -> {
				setEjected(true);
				// just opened (again): wait for the recovery timeout; already open: a pending timer or a
				// probe already offered stands
				if (entered) {
					cancelProbeTimer();
					this.probing = false;
				}
				if (!this.probing && this.probeTimer == null) {
					scheduleProbe();
				}
			}
			case HALF_OPEN -> {
				setEjected(true);
				cancelProbeTimer();
				this.probing = true;
				connectIfIdle();
			}
			case FORCED_OPEN -> {
				setEjected(true);
				cancelProbeTimer();
				this.probing = false;
			}
			default -> {
				cancelProbeTimer();
				this.probing = false;
				setEjected(false);
			}
		}
	}

	private void scheduleProbe() {
		// one millisecond past the timeout: resilience4j half-opens strictly after it
		long delay = this.entry.recoveryTimeout().toMillis() + 1;
		this.probeTimer = this.owner.syncContext.schedule(() -> {
			this.probeTimer = null;
			if (!this.owner.isShutdown() && this.ejected) {
				this.probing = true;
				connectIfIdle();
				this.owner.publish();
			}
		}, delay, TimeUnit.MILLISECONDS, this.owner.timer);
	}

	/**
	 * Called from a picker, on any thread, whose trial pick the breaker refused while it still waits (its
	 * clock is behind the channel's timer): the instance waits another recovery timeout.
	 */
	void trialRefused() {
		this.owner.syncContext.execute(this::probeRefused);
	}

	private void probeRefused() {
		if (this.entry.breaker.getState() == CircuitBreaker.State.OPEN && this.probing) {
			this.probing = false;
			scheduleProbe();
			this.owner.publish();
		}
	}

	void cancelProbeTimer() {
		if (this.probeTimer != null) {
			this.probeTimer.cancel();
			this.probeTimer = null;
		}
	}

	private void setEjected(boolean ejected) {
		if (this.ejected == ejected) {
			return;
		}
		this.ejected = ejected;
		for (BreakerSubchannel subchannel : List.copyOf(this.subchannels)) {
			subchannel.updateEjection();
		}
	}

	private void connectIfIdle() {
		for (int i = 0; i < this.subchannels.size(); i++) {
			BreakerSubchannel subchannel = this.subchannels.get(i);
			if (subchannel.realState.getState() == ConnectivityState.IDLE) {
				subchannel.delegate().requestConnection();
			}
		}
	}

	@Nullable BreakerSubchannel readySubchannel() {
		for (int i = 0; i < this.subchannels.size(); i++) {
			BreakerSubchannel subchannel = this.subchannels.get(i);
			if (subchannel.realState.getState() == ConnectivityState.READY) {
				return subchannel;
			}
		}
		return null;
	}

	/** Whether the channel is being shut down. */
	boolean isShutdown() {
		return this.owner.isShutdown();
	}

	/** Hands the channel a new picker: a subchannel of this instance changed state while it probes. */
	void publish() {
		this.owner.publish();
	}

	/** Runs a task in the channel's synchronization context, after the current one. */
	void execute(Runnable task) {
		this.owner.syncContext.execute(task);
	}

	/** Guards a trial pick on the channel's timer. */
	void guard(TrialPick trial) {
		trial.guard(this.owner.timer);
	}

	void removed(BreakerSubchannel subchannel) {
		if (this.subchannels.remove(subchannel) && this.subchannels.isEmpty()) {
			cancelProbeTimer();
			this.owner.remove(this);
			release();
		}
	}

}
