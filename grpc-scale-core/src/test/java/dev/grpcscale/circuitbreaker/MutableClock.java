package dev.grpcscale.circuitbreaker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/** A clock that moves only when told to; its {@link #coarse()} views tick as it moves. */
final class MutableClock extends Clock {

	private final AtomicReference<Instant> now;

	private final List<CoarseClock> coarse = new CopyOnWriteArrayList<>();

	MutableClock(Instant start) {
		this.now = new AtomicReference<>(start);
	}

	void advance(Duration duration) {
		this.now.updateAndGet((current) -> current.plus(duration));
		this.coarse.forEach(CoarseClock::tick);
	}

	/** A {@link CoarseClock} over this clock that ticks each time this clock is advanced. */
	CoarseClock coarse() {
		CoarseClock view = CoarseClock.manual(this);
		this.coarse.add(view);
		return view;
	}

	@Override
	public ZoneId getZone() {
		return ZoneOffset.UTC;
	}

	@Override
	public Clock withZone(ZoneId zone) {
		return this;
	}

	@Override
	public Instant instant() {
		return this.now.get();
	}

}
