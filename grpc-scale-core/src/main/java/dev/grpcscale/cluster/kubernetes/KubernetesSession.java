package dev.grpcscale.cluster.kubernetes;

import java.time.ZonedDateTime;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import org.jspecify.annotations.Nullable;

/**
 * One session of a {@link KubernetesLeaderElection}: this node's member Lease as last written, and, once the
 * session's campaign won, the election Lease it holds. Touched only on the election's I/O thread, except
 * {@link #isEnded()}, which stops a campaign still running, and {@link #newestRenewal}.
 */
final class KubernetesSession {

	private final long id;

	private volatile boolean ended;

	/** {@code resourceVersion} of this node's member Lease as last written by this session. */
	@Nullable String memberVersion;

	/** Whether this session holds the election Lease. */
	boolean leading;

	/** {@code leaseTransitions} this session wrote when it took the election Lease: its fencing token. */
	int token;

	/** {@code acquireTime} this session wrote when it took the election Lease. */
	@Nullable ZonedDateTime acquired;

	/** The election Lease as last written by this session. */
	@Nullable Lease lease;

	/** Ticker value of the newest renewal asked for: an older one still queued is skipped. */
	volatile long newestRenewal;

	KubernetesSession(long id) {
		this.id = id;
	}

	boolean isEnded() {
		return this.ended;
	}

	void end() {
		this.ended = true;
	}

	@Override
	public String toString() {
		return "KubernetesSession[" + this.id + (this.leading ? ", leading with token " + this.token : "") + "]";
	}

}
