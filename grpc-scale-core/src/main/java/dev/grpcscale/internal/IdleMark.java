package dev.grpcscale.internal;

/**
 * Whether a cached service was read within its idle timeout, for caches that drop a service nobody reads and
 * that check for it with a periodic sweep. A read ({@link #read()}) costs one volatile read, and a volatile
 * write only the first time after a sweep: no clock read and no write every read, so that threads reading the
 * same service often neither pay for {@code System.nanoTime()} nor contend on one cache line. The sweep
 * ({@link #idleFor(long, long)}) takes its own time as that of the reads it finds since the previous sweep.
 *
 * <p>What it changes against stamping every read: a read is dated up to one sweep period late, so a service
 * is dropped at the first sweep at least {@code idleTimeout} after the sweep that saw its last read. With a
 * sweep every half of {@code idleTimeout}, as grpc-scale's caches run it, that is the same sweep as before
 * (between 1 and 1.5 {@code idleTimeout} after the last read), never sooner. Thread-safe for any number of
 * readers and one sweeping thread at a time.
 */
public final class IdleMark {

	private volatile boolean readSinceSweep;

	/** The {@code nanoTime} of the last read a sweep saw (or of the creation); written by the sweep only. */
	private volatile long lastReadNanos;

	/**
	 * A mark for a service created at {@code nowNanos}, which counts as its first read.
	 * @param nowNanos {@code System.nanoTime()} or the cache's own time source
	 */
	public IdleMark(long nowNanos) {
		this.lastReadNanos = nowNanos;
	}

	/** Notes a read. */
	public void read() {
		if (!this.readSinceSweep) {
			this.readSinceSweep = true;
		}
	}

	/**
	 * Whether the service was not read for {@code idleNanos}, judged by the sweep at {@code nowNanos}; a read
	 * since the previous sweep counts as a read now.
	 * @param nowNanos the sweep's time, from the same source as the constructor's
	 * @param idleNanos the idle timeout
	 * @return {@code true} if no read was seen for {@code idleNanos}
	 */
	public boolean idleFor(long nowNanos, long idleNanos) {
		if (this.readSinceSweep) {
			this.readSinceSweep = false;
			this.lastReadNanos = nowNanos;
		}
		return nowNanos - this.lastReadNanos >= idleNanos;
	}

}
