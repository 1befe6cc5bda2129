package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.ReentrantLock;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * The registration side of {@link EtcdServiceRegistry}: every owned instance is a key bound to one lease
 * that jetcd keeps alive.
 *
 * <p>When the lease is lost (keep-alive error or completion, which jetcd reports when no keep-alive was
 * answered within the TTL, or a {@code TTL 0} answer for an expired lease), a new lease is granted and
 * every owned instance is written again under it, retried with backoff while etcd is unreachable. The old
 * lease is then revoked, best effort: etcd restores leases after a restart, and keys already moved to the
 * new lease are not touched by the revoke.
 *
 * <p>Locking: {@link #lock} serialises register, deregister, recovery and close, and is held during their
 * etcd requests (each bounded by the request timeout). jetcd's keep-alive callbacks never take it: they
 * only hand work to the scheduler, since jetcd calls them while holding its own locks.
 */
final class EtcdLeasedRegistrations implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(EtcdLeasedRegistrations.class);

	private final Client client;

	private final EtcdKeys keys;

	private final long ttlSeconds;

	private final Duration requestTimeout;

	/**
	 * Bound on one attempt of a retried request: half the request timeout, so that a request lost with a
	 * failed leader (etcd answers it only after its own ~5 s request timeout) is retried in time.
	 */
	private final Duration attemptTimeout;

	private final ScheduledExecutorService scheduler;

	private final RetryPolicy<Object> retryPolicy;

	private final EtcdConnectionState state;

	/** Retries one idempotent request on transient failures for up to the request timeout. */
	private final RetryPolicy<Object> requestRetry;

	private final ReentrantLock lock = new ReentrantLock();

	/** Guarded by {@link #lock}. */
	private final Map<String, ServiceInstance> owned = new LinkedHashMap<>();

	/** Leases lost and replaced, to revoke once their keys moved. Guarded by {@link #lock}. */
	private final Set<Long> lostLeases = new LinkedHashSet<>();

	/** The current lease, 0 when none. Guarded by {@link #lock}, read without it by status. */
	private volatile long leaseId;

	private @Nullable CloseableClient keepAlive;

	private @Nullable CompletableFuture<Void> recovery;

	private volatile int leaseGrants;

	private boolean closed;

	EtcdLeasedRegistrations(Client client, EtcdKeys keys, Duration leaseTtl, Duration requestTimeout,
			ScheduledExecutorService scheduler, RetryPolicy<Object> retryPolicy, EtcdConnectionState state) {
		this.client = client;
		this.keys = keys;
		this.ttlSeconds = leaseTtl.toSeconds();
		this.requestTimeout = requestTimeout;
		this.attemptTimeout = requestTimeout.dividedBy(2);
		this.scheduler = scheduler;
		this.retryPolicy = retryPolicy;
		this.state = state;
		this.requestRetry = RetryPolicy.builder()
			.handle(EtcdRequests.EtcdRequestException.class)
			.withBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
			.withMaxRetries(-1)
			.withMaxDuration(requestTimeout)
			.build();
	}

	void register(ServiceInstance instance) {
		String name = instance.serviceName() + "/" + instance.instanceId();
		this.lock.lock();
		try {
			ensureOpen();
			// a put is idempotent: retried when a member fails over under it
			Failsafe.with(this.requestRetry).run(() -> put(instance, ensureLease()));
			this.owned.put(name, instance);
		}
		catch (EtcdRequests.EtcdRequestException ex) {
			this.state.failed(ex);
			throw new DiscoveryException("Could not register '" + name + "' in etcd: " + ex.getMessage(), ex);
		}
		finally {
			this.lock.unlock();
		}
	}

	boolean deregister(String serviceName, String instanceId) {
		String name = serviceName + "/" + instanceId;
		this.lock.lock();
		try {
			ensureOpen();
			if (!this.owned.containsKey(name)) {
				return false;
			}
			Failsafe.with(this.requestRetry)
				.run(() -> EtcdRequests.await(this.client.getKVClient().delete(this.keys.key(serviceName, instanceId)),
						this.attemptTimeout, "delete of " + name));
			this.owned.remove(name);
			this.state.succeeded();
			return true;
		}
		catch (EtcdRequests.EtcdRequestException ex) {
			this.state.failed(ex);
			throw new DiscoveryException("Could not deregister '" + name
					+ "' from etcd (it stays registered; retry or close the registry): " + ex.getMessage(), ex);
		}
		finally {
			this.lock.unlock();
		}
	}

	int ownedCount() {
		this.lock.lock();
		try {
			return this.owned.size();
		}
		finally {
			this.lock.unlock();
		}
	}

	long leaseId() {
		return this.leaseId;
	}

	/** Number of leases granted so far (1 + re-grants after losses). */
	int leaseGrants() {
		return this.leaseGrants;
	}

	/** Grants a lease and starts its keep-alive unless one is current; under {@link #lock}. */
	private long ensureLease() {
		long current = this.leaseId;
		if (current != 0) {
			return current;
		}
		long granted = EtcdRequests.await(this.client.getLeaseClient().grant(this.ttlSeconds), this.attemptTimeout,
				"lease grant").getID();
		this.state.succeeded();
		this.leaseId = granted;
		this.leaseGrants++;
		this.keepAlive = this.client.getLeaseClient().keepAlive(granted, new KeepAliveObserver(granted));
		logger.debug("Granted etcd lease {} (TTL {}s)", Long.toHexString(granted), this.ttlSeconds);
		return granted;
	}

	private void put(ServiceInstance instance, long lease) {
		ByteSequence key = this.keys.key(instance.serviceName(), instance.instanceId());
		EtcdRequests.await(this.client.getKVClient()
			.put(key, ByteSequence.from(EtcdInstanceCodec.encode(instance)),
					PutOption.builder().withLeaseId(lease).build()),
				this.attemptTimeout, "put of " + EtcdKeys.text(key));
		this.state.succeeded();
	}

	/** Called on the scheduler when a lease's keep-alive reported an error or completion. */
	private void onLeaseLost(long lostLease, Throwable cause) {
		this.lock.lock();
		try {
			if (this.closed || this.leaseId != lostLease) {
				return;
			}
			this.state.failed(cause);
			logger.warn("etcd lease {} lost ({}); granting a new one and registering {} instance(s) again",
					Long.toHexString(lostLease), EtcdRequests.unwrap(cause).toString(), this.owned.size());
			this.leaseId = 0;
			this.lostLeases.add(lostLease);
			CloseableClient current = this.keepAlive;
			this.keepAlive = null;
			if (current != null) {
				current.close();
			}
			// A recovery still retrying may have granted the lease just lost: start over with a fresh one.
			if (this.recovery != null) {
				this.recovery.cancel(false);
			}
			CompletableFuture<Void> future = Failsafe.with(this.retryPolicy)
				.with(this.scheduler)
				.runAsync(this::recoverOnce);
			this.recovery = future;
			future.whenComplete((result, failure) -> {
				this.lock.lock();
				try {
					if (this.recovery == future) {
						this.recovery = null;
					}
				}
				finally {
					this.lock.unlock();
				}
			});
		}
		finally {
			this.lock.unlock();
		}
	}

	private void recoverOnce() {
		List<Long> toRevoke;
		this.lock.lock();
		try {
			if (this.closed) {
				return;
			}
			if (!this.owned.isEmpty()) {
				try {
					long lease = ensureLease();
					for (ServiceInstance instance : this.owned.values()) {
						put(instance, lease);
					}
				}
				catch (RuntimeException ex) {
					this.state.failed(ex);
					logger.debug("Re-registration in etcd failed; retrying with backoff", ex);
					throw ex;
				}
				logger.info("Registered {} instance(s) again in etcd under lease {}", this.owned.size(),
						Long.toHexString(this.leaseId));
			}
			toRevoke = new ArrayList<>(this.lostLeases);
			this.lostLeases.clear();
		}
		finally {
			this.lock.unlock();
		}
		for (long lease : toRevoke) {
			this.client.getLeaseClient().revoke(lease).whenComplete((response, failure) -> {
				if (failure != null) {
					logger.debug("Revoke of replaced etcd lease {} failed (it expires by itself): {}",
							Long.toHexString(lease), EtcdRequests.unwrap(failure).toString());
				}
			});
		}
	}

	/** Deletes every owned key, revokes the lease and stops the keep-alive. Idempotent. */
	@Override
	public void close() {
		CompletableFuture<Void> pendingRecovery;
		this.lock.lock();
		try {
			if (this.closed) {
				return;
			}
			this.closed = true;
			pendingRecovery = this.recovery;
			this.recovery = null;
		}
		finally {
			this.lock.unlock();
		}
		// Outside the lock: cancelling waits for Failsafe's hold on the future, which an attempt running on
		// the scheduler keeps while it waits for this lock (a deadlock seen in a test run). Once closed, an
		// attempt that gets the lock returns at once.
		if (pendingRecovery != null) {
			pendingRecovery.cancel(false);
		}
		this.lock.lock();
		try {
			CloseableClient current = this.keepAlive;
			this.keepAlive = null;
			if (current != null) {
				current.close();
			}
			List<CompletableFuture<?>> deletes = new ArrayList<>();
			for (ServiceInstance instance : this.owned.values()) {
				deletes.add(this.client.getKVClient().delete(this.keys.key(instance.serviceName(), instance.instanceId())));
			}
			int count = this.owned.size();
			this.owned.clear();
			try {
				EtcdRequests.await(CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new)), this.requestTimeout,
						"delete of " + count + " instance(s)");
				long lease = this.leaseId;
				if (lease != 0) {
					EtcdRequests.await(this.client.getLeaseClient().revoke(lease), this.requestTimeout, "lease revoke");
				}
			}
			catch (EtcdRequests.EtcdRequestException ex) {
				logger.warn("Could not deregister from etcd on close ({}); the keys expire with their lease within {}s",
						ex.getMessage(), this.ttlSeconds);
			}
			this.leaseId = 0;
		}
		finally {
			this.lock.unlock();
		}
	}

	private void ensureOpen() {
		if (this.closed) {
			throw new IllegalStateException("EtcdServiceRegistry is closed");
		}
	}

	/** Hands keep-alive events to the scheduler; never blocks jetcd's threads. */
	private final class KeepAliveObserver implements StreamObserver<LeaseKeepAliveResponse> {

		private final long lease;

		KeepAliveObserver(long lease) {
			this.lease = lease;
		}

		@Override
		public void onNext(LeaseKeepAliveResponse response) {
			EtcdLeasedRegistrations.this.state.succeeded();
		}

		@Override
		public void onError(Throwable throwable) {
			schedule(throwable);
		}

		@Override
		public void onCompleted() {
			schedule(new IllegalStateException("keep-alive of lease " + Long.toHexString(this.lease)
					+ " completed: no answer within the TTL"));
		}

		private void schedule(Throwable cause) {
			try {
				EtcdLeasedRegistrations.this.scheduler.execute(() -> onLeaseLost(this.lease, cause));
			}
			catch (java.util.concurrent.RejectedExecutionException ex) {
				// the registry is closing
			}
		}

	}

}
