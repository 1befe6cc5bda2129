package dev.grpcscale.circuitbreaker;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.util.ForwardingClientStreamTracer;
import org.jspecify.annotations.Nullable;

/**
 * Counts each stream on an instance in the instance's breaker. A call's {@link CallAttribution} is read from
 * the stream's call options (those the call was picked with), so one factory without a trial or a delegate
 * serves every call of an instance ({@link BreakerSubchannel#countedPick}).
 */
final class CountingTracerFactory extends ClientStreamTracer.Factory {

	/** Stands for an absent delegate; a {@code ClientStreamTracer} keeps no state, so one serves all. */
	private static final ClientStreamTracer NO_TRACER = new ClientStreamTracer() {
	};

	private final InstanceTracker tracker;

	private final @Nullable TrialPick trial;

	private final ClientStreamTracer.@Nullable Factory delegate;

	CountingTracerFactory(InstanceTracker tracker, @Nullable TrialPick trial,
			ClientStreamTracer.@Nullable Factory delegate) {
		this.tracker = tracker;
		this.trial = trial;
		this.delegate = delegate;
	}

	@Override
	public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
		ClientStreamTracer next = (this.delegate != null) ? this.delegate.newClientStreamTracer(info, headers)
				: NO_TRACER;
		if (this.trial != null && !this.trial.start()) {
			// the trial's permission was given back already: this late stream is not counted
			return next;
		}
		BreakerEntry entry = this.tracker.entry;
		return new CountingStreamTracer(next, entry, entry.now(), info.getCallOptions().getOption(CallAttribution.KEY),
				this.trial);
	}

	/** Records a stream's end in its instance's breaker, once. */
	private static final class CountingStreamTracer extends ForwardingClientStreamTracer {

		private static final AtomicIntegerFieldUpdater<CountingStreamTracer> CLOSED = AtomicIntegerFieldUpdater
			.newUpdater(CountingStreamTracer.class, "closed");

		private final ClientStreamTracer next;

		private final BreakerEntry entry;

		private final long start;

		private final @Nullable CallAttribution attribution;

		private final @Nullable TrialPick trial;

		/** 1 once {@link #streamClosed} has recorded; a field rather than an {@code AtomicBoolean} per stream. */
		private volatile int closed;

		CountingStreamTracer(ClientStreamTracer next, BreakerEntry entry, long start,
				@Nullable CallAttribution attribution, @Nullable TrialPick trial) {
			this.next = next;
			this.entry = entry;
			this.start = start;
			this.attribution = attribution;
			this.trial = trial;
		}

		@Override
		protected ClientStreamTracer delegate() {
			return this.next;
		}

		@Override
		public void streamClosed(Status status) {
			if (CLOSED.compareAndSet(this, 0, 1)) {
				boolean failure = this.entry.recordStatus(this.start, status, null, false);
				if (this.attribution != null) {
					this.attribution.attemptClosed(failure);
				}
				if (this.trial != null) {
					this.trial.ended();
				}
			}
			super.streamClosed(status);
		}

	}

}
