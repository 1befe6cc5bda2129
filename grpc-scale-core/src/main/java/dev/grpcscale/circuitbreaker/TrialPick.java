package dev.grpcscale.circuitbreaker;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pick of a half-open instance's trial call. If no stream starts from it within the recovery timeout
 * (the transport went away between the pick and the stream), its permission is given back so the breaker
 * is not stuck half-open. Thread-safe.
 */
final class TrialPick {

	private static final int PICKED = 0;

	private static final int STARTED = 1;

	private static final int ABANDONED = 2;

	private final InstanceTracker tracker;

	private final AtomicInteger state = new AtomicInteger(PICKED);

	TrialPick(InstanceTracker tracker) {
		this.tracker = tracker;
	}

	/** Gives the permission back after the recovery timeout unless a stream has started by then. */
	void guard(ScheduledExecutorService timer) {
		try {
			timer.schedule(() -> {
				if (this.state.compareAndSet(PICKED, ABANDONED)) {
					this.tracker.entry.release();
					this.tracker.trialInFlight.set(false);
				}
			}, this.tracker.entry.recoveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (RuntimeException ex) {
			// the channel is shutting down; nothing will be picked any more
		}
	}

	/** Whether the stream is the trial: false once the permission was given back. */
	boolean start() {
		return this.state.compareAndSet(PICKED, STARTED);
	}

	void ended() {
		this.tracker.trialInFlight.set(false);
	}

}
