package dev.grpcscale.etcd.internal;

import java.util.concurrent.CompletableFuture;

import io.etcd.jetcd.Lease;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.Errors;

/**
 * One renewal of an etcd lease: a single {@code LeaseKeepAlive} ({@link Lease#keepAliveOnce}), sent again at
 * once while a member answers "no leader". Such a member is cut off from its peers (or the cluster lost its
 * quorum), and the client's round robin sends the next call to the next member; without the retry, a
 * renewal that happens to fall on the isolated member every time loses a lease that healthy members would
 * have kept. The caller owns the schedule (when to renew) and the deadline of each renewal: jetcd's
 * {@code keepAliveOnce} itself has none.
 *
 * <p>Used by grpc-scale's etcd leader election and etcd service registry, which both time each renewal
 * from send to answer. Not an API.
 */
public final class EtcdLeaseRenewal {

	/** Keep-alives sent per renewal at most while members answer "no leader": one per member of a 5-member cluster. */
	public static final int NO_LEADER_ATTEMPTS = 5;

	private final Lease leases;

	private final int attempts;

	/**
	 * Renewals through the given lease client.
	 * @param leases jetcd's lease client
	 * @param attempts keep-alives sent per renewal at most while members answer "no leader", at least 1
	 * @throws IllegalArgumentException if {@code attempts} is below 1
	 */
	public EtcdLeaseRenewal(Lease leases, int attempts) {
		if (attempts < 1) {
			throw new IllegalArgumentException("attempts: " + attempts + " (expected: >= 1)");
		}
		this.leases = leases;
		this.attempts = attempts;
	}

	/**
	 * Renews the lease once.
	 * @param leaseId the lease
	 * @return etcd's answer, whose TTL is the lease's new time to live; failed with an {@link EtcdException}
	 * of {@link ErrorCode#NOT_FOUND} when etcd says the lease is gone ({@link #isLeaseNotFound}), or with
	 * the last failure
	 */
	public CompletableFuture<LeaseKeepAliveResponse> renew(long leaseId) {
		return renew(leaseId, this.attempts);
	}

	private CompletableFuture<LeaseKeepAliveResponse> renew(long leaseId, int attemptsLeft) {
		return this.leases.keepAliveOnce(leaseId).handle((response, ex) -> {
			if (ex == null) {
				return CompletableFuture.completedFuture(response);
			}
			if (attemptsLeft > 1 && isNoLeader(ex)) {
				return renew(leaseId, attemptsLeft - 1);
			}
			return CompletableFuture.<LeaseKeepAliveResponse>failedFuture(ex);
		}).thenCompose((next) -> next);
	}

	/**
	 * Whether a failure is etcd's answer of a member that knows no leader
	 * ({@code UNAVAILABLE: etcdserver: no leader}).
	 * @param ex the failure, possibly wrapped
	 * @return whether it or one of its causes says "no leader"
	 */
	public static boolean isNoLeader(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			String message = cause.getMessage();
			if (message != null && message.contains(Errors.NO_LEADER_ERROR_MESSAGE)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether a failure says the lease is gone: a keep-alive answered with TTL 0 (jetcd reports
	 * {@link ErrorCode#NOT_FOUND}), or etcd's "requested lease not found".
	 * @param ex the failure, possibly wrapped
	 * @return whether etcd no longer knows the lease
	 */
	public static boolean isLeaseNotFound(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof EtcdException etcd && etcd.getErrorCode() == ErrorCode.NOT_FOUND) {
				return true;
			}
			String message = cause.getMessage();
			if (message != null && message.contains("requested lease not found")) {
				return true;
			}
		}
		return false;
	}

}
