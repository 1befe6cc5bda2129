package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

import io.etcd.jetcd.Client;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.etcd.internal.EtcdFailures;

/**
 * The last step of {@link EtcdLeasedRegistrations#close()}: waits for the deletes of the owned keys, then
 * revokes the lease, all within one request timeout, and says in one line what was left behind.
 *
 * <p>Revoking the lease removes every key still bound to it, so a lease revoked means nothing is left
 * behind even if a delete failed. When the revoke is not confirmed in time (etcd unreachable, stopping or
 * without leader, or the client closed before the registry), one warning names the instances, the lease
 * and the reason: the keys then leave discovery when the lease's TTL runs out. Requests still unanswered at
 * the deadline are cancelled, so nothing of the registry's keeps running or retrying after its close.
 * Never throws; logs no stack trace.
 */
final class EtcdRegistrationCleanup {

	/** Logs as the registrations, where the close warning has always been logged. */
	private static final Logger logger = LoggerFactory.getLogger(EtcdLeasedRegistrations.class);

	private final Client client;

	private final long leaseId;

	private final long ttlSeconds;

	private final Duration requestTimeout;

	private final LongSupplier ticker;

	/**
	 * A cleanup.
	 * @param client the registry's client
	 * @param leaseId the lease to revoke, 0 for none
	 * @param ttlSeconds the lease's TTL, for the warning
	 * @param requestTimeout the bound on the whole cleanup
	 * @param ticker monotonic nanoseconds
	 */
	EtcdRegistrationCleanup(Client client, long leaseId, long ttlSeconds, Duration requestTimeout, LongSupplier ticker) {
		this.client = client;
		this.leaseId = leaseId;
		this.ttlSeconds = ttlSeconds;
		this.requestTimeout = requestTimeout;
		this.ticker = ticker;
	}

	/**
	 * Waits for the deletes, revokes the lease, cancels what did not answer by the deadline and logs what was
	 * left behind.
	 * @param deletes the delete of each owned instance, by {@code service/instanceId}, already sent
	 */
	void finish(Map<String, CompletableFuture<?>> deletes) {
		long deadline = this.ticker.getAsLong() + this.requestTimeout.toNanos();
		List<String> notDeleted = new ArrayList<>();
		String deleteFailure = null;
		for (Map.Entry<String, CompletableFuture<?>> delete : deletes.entrySet()) {
			String failure = await(delete.getValue(), deadline);
			if (failure != null) {
				notDeleted.add(delete.getKey());
				deleteFailure = (deleteFailure != null) ? deleteFailure : failure;
			}
		}
		if (this.leaseId == 0) {
			if (deleteFailure != null) {
				logger.warn("Could not deregister {} instance(s) {} from etcd on close ({}); their keys expire with "
						+ "their lease within {}s", notDeleted.size(), notDeleted, deleteFailure, this.ttlSeconds);
			}
			return;
		}
		String lease = Long.toHexString(this.leaseId);
		String revokeFailure = (deleteFailure != null && this.ticker.getAsLong() - deadline >= 0) ? deleteFailure
				: await(EtcdFailures.revoke(this.client.getLeaseClient(), this.leaseId), deadline);
		if (revokeFailure == null) {
			logger.debug("Deregistered {} instance(s) from etcd and revoked lease {} on close", deletes.size(), lease);
			return;
		}
		if (notDeleted.isEmpty()) {
			logger.warn("Could not revoke etcd lease {} on close ({}); the {} instance(s) were deregistered, the lease "
					+ "itself expires within {}s", lease, revokeFailure, deletes.size(), this.ttlSeconds);
		}
		else {
			logger.warn("Could not deregister {} instance(s) {} from etcd on close ({}); lease {} was not revoked: "
					+ "their keys expire with it within {}s", notDeleted.size(), notDeleted, revokeFailure, lease,
					this.ttlSeconds);
		}
	}

	/** Waits until the deadline; {@code null} on success, else why not (the request then cancelled). */
	private @Nullable String await(CompletableFuture<?> request, long deadline) {
		long left = deadline - this.ticker.getAsLong();
		try {
			request.get(Math.max(0, left), TimeUnit.NANOSECONDS);
			return null;
		}
		catch (TimeoutException ex) {
			request.cancel(true);
			return "no answer within " + this.requestTimeout;
		}
		catch (ExecutionException ex) {
			return EtcdFailures.reason(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			request.cancel(true);
			return "interrupted";
		}
		catch (RuntimeException ex) {
			// cancelled by someone else
			return EtcdFailures.reason(ex);
		}
	}

}
