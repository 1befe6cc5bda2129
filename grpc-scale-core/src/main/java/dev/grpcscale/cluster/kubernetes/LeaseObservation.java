package dev.grpcscale.cluster.kubernetes;

import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import org.jspecify.annotations.Nullable;

/**
 * The election Lease as this node last saw it, and when (on this node's monotonic ticker) it last saw the
 * Lease's record change, as client-go's leader election judges expiry: a held Lease is expired for this node
 * once {@code leaseDurationSeconds} have passed on its own ticker since it saw the record change. Nodes'
 * wall clocks are never compared: {@code renewTime} is the holder's wall clock, which may be skewed from this
 * node's by any amount; the ticker only has to run at about the rate of the holder's (the election's safety
 * margin absorbs the difference). A node that has just started therefore waits one whole lease duration
 * before it takes over a Lease it finds held, however old its {@code renewTime}.
 *
 * <p>Thread-safe.
 */
final class LeaseObservation {

	private final LongSupplier ticker;

	private @Nullable Record record;

	private long changedAtNanos;

	LeaseObservation(LongSupplier ticker) {
		this.ticker = ticker;
	}

	/**
	 * Notes a read or a write of the election Lease.
	 * @param lease the Lease, or {@code null} when it does not exist
	 */
	synchronized void observe(@Nullable Lease lease) {
		Record seen = Record.of(lease);
		if (!Objects.equals(seen, this.record)) {
			this.record = seen;
			this.changedAtNanos = this.ticker.getAsLong();
		}
	}

	/** The record last seen, {@code null} if the Lease was absent or never read. */
	synchronized @Nullable Record record() {
		return this.record;
	}

	/**
	 * How long until the record last seen expires for this node: {@code 0} when it has no holder or has
	 * expired, else the rest of its lease duration since this node saw it change.
	 * @return nanoseconds
	 */
	synchronized long nanosUntilFree() {
		Record seen = this.record;
		if (seen == null || seen.holder().isEmpty()) {
			return 0;
		}
		long elapsed = this.ticker.getAsLong() - this.changedAtNanos;
		return Math.max(0, TimeUnit.SECONDS.toNanos(seen.durationSeconds()) - elapsed);
	}

	/**
	 * The parts of a Lease that a renewal or takeover changes.
	 *
	 * @param holder {@code holderIdentity}, {@code ""} when none
	 * @param durationSeconds {@code leaseDurationSeconds}, {@code 0} when unset
	 * @param transitions {@code leaseTransitions}, {@code 0} when unset
	 * @param acquireTime {@code acquireTime}
	 * @param renewTime {@code renewTime}
	 * @param address the holder's address annotation, {@code ""} when none
	 */
	record Record(String holder, int durationSeconds, int transitions, @Nullable Instant acquireTime,
			@Nullable Instant renewTime, String address) {

		static @Nullable Record of(@Nullable Lease lease) {
			if (lease == null) {
				return null;
			}
			LeaseSpec spec = lease.getSpec();
			if (spec == null) {
				return new Record("", 0, 0, null, null, address(lease));
			}
			return new Record(Objects.requireNonNullElse(spec.getHolderIdentity(), ""),
					Objects.requireNonNullElse(spec.getLeaseDurationSeconds(), 0),
					Objects.requireNonNullElse(spec.getLeaseTransitions(), 0), instant(spec.getAcquireTime()),
					instant(spec.getRenewTime()), address(lease));
		}

		private static String address(Lease lease) {
			Map<String, String> annotations = (lease.getMetadata() != null) ? lease.getMetadata().getAnnotations()
					: null;
			String address = (annotations != null) ? annotations.get(LeaseNames.ADDRESS_ANNOTATION) : null;
			return (address != null) ? address : "";
		}

		private static @Nullable Instant instant(@Nullable ZonedDateTime time) {
			return (time != null) ? time.toInstant() : null;
		}

	}

}
