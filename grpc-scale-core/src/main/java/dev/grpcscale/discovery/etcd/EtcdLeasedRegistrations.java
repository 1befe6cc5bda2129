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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.etcd.internal.EtcdFailures;
import dev.grpcscale.etcd.internal.EtcdLeaseRenewal;
import dev.grpcscale.metrics.LatencyTally;

/**
 * The registration side of {@link EtcdServiceRegistry}: every owned instance is a key bound to one lease
 * that {@link EtcdLeaseKeepAlive} renews every third of its TTL, timing each renewal into
 * {@link #renewals()}.
 *
 * <p><b>Lease loss only on a real loss.</b> A failed renewal (a member restarting, a connection reset, no
 * leader for a moment, no answer within the attempt timeout) is transient: the renewal is tried again
 * after a short pause for the same lease and this class only records etcd as unreachable. Once no renewal
 * was confirmed for a whole TTL on the monotonic clock, etcd is asked for the lease's remaining TTL: a live
 * lease is kept alive again. Only when etcd says the lease is gone (a keep-alive answer with
 * {@code TTL 0}, which jetcd reports as {@code NOT_FOUND}, or a time-to-live of {@code -1}), or when etcd
 * cannot be asked and the TTL has certainly passed on the monotonic clock since the last renewal, is a new
 * lease granted and every owned instance written again under it, retried with backoff while etcd is
 * unreachable. The old lease is then revoked, best effort: etcd restores leases after a restart, and keys
 * already moved to the new lease are not touched by the revoke.
 *
 * <p><b>Own keys only.</b> The revision of every put is recorded; deregistration and close delete a key in
 * a transaction that compares its modification revision with ours, so a registration another process
 * made under the same instance id since (a successor reusing the id) is left alone. A lease grant that
 * answers after its caller gave up is revoked when it answers, not left behind.
 *
 * <p>Locking: {@link #lock} serialises register, deregister, recovery and close, and is held during their
 * etcd requests (each bounded by the request timeout). The keep-alive's callbacks never take it: they
 * only hand work to the scheduler, since they run on jetcd's threads.
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

	/** Monotonic nanoseconds, {@link System#nanoTime()} outside tests. */
	private final LongSupplier ticker;

	/** Retries one idempotent request on transient failures for up to the request timeout. */
	private final RetryPolicy<Object> requestRetry;

	private final EtcdLeaseRenewal renewal;

	/** Round trips of confirmed renewals, from send to etcd's answer. */
	private final LatencyTally renewalTimes = new LatencyTally();

	private final ReentrantLock lock = new ReentrantLock();

	/** Owned instances and the revision of our last put of each. Guarded by {@link #lock}. */
	private final Map<String, Owned> owned = new LinkedHashMap<>();

	/** Leases lost and replaced, to revoke once their keys moved. Guarded by {@link #lock}. */
	private final Set<Long> lostLeases = new LinkedHashSet<>();

	/** The current lease, 0 when none. Guarded by {@link #lock}, read without it by status. */
	private volatile long leaseId;

	/**
	 * {@link #ticker} time of the last answer that renewed (or granted) the current lease. etcd renewed it
	 * before we received that answer, so the lease has certainly expired once a TTL passed since, unless
	 * an etcd leader change extended it, which makes a re-grant only redundant, never wrong.
	 */
	private volatile long lastRenewalNanos;

	private @Nullable EtcdLeaseKeepAlive keepAlive;

	private @Nullable CompletableFuture<Void> recovery;

	private volatile int leaseGrants;

	private volatile int lateGrantsRevoked;

	private boolean closed;

	EtcdLeasedRegistrations(Client client, EtcdKeys keys, Duration leaseTtl, Duration requestTimeout,
			ScheduledExecutorService scheduler, RetryPolicy<Object> retryPolicy, EtcdConnectionState state) {
		this(client, keys, leaseTtl, requestTimeout, scheduler, retryPolicy, state, System::nanoTime);
	}

	EtcdLeasedRegistrations(Client client, EtcdKeys keys, Duration leaseTtl, Duration requestTimeout,
			ScheduledExecutorService scheduler, RetryPolicy<Object> retryPolicy, EtcdConnectionState state,
			LongSupplier ticker) {
		this.client = client;
		this.keys = keys;
		this.ttlSeconds = leaseTtl.toSeconds();
		this.requestTimeout = requestTimeout;
		this.attemptTimeout = requestTimeout.dividedBy(2);
		this.scheduler = scheduler;
		this.retryPolicy = retryPolicy;
		this.state = state;
		this.ticker = ticker;
		this.renewal = new EtcdLeaseRenewal(client.getLeaseClient(), EtcdLeaseRenewal.NO_LEADER_ATTEMPTS);
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
			long revision = Failsafe.with(this.requestRetry).get(() -> put(instance, ensureLease()));
			this.owned.put(name, new Owned(instance, revision));
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
			Owned registration = this.owned.get(name);
			if (registration == null) {
				return false;
			}
			// a retry after a lost answer finds the key gone (revision 0) and deletes nothing: safe to repeat
			boolean deleted = Failsafe.with(this.requestRetry)
				.get(() -> EtcdRequests.await(deleteIfOurs(registration), this.attemptTimeout, "delete of " + name)
					.isSucceeded());
			if (!deleted) {
				logger.debug("etcd key of '{}' was written by another registration since ours (revision {}); left alone",
						name, registration.revision());
			}
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

	/** Deletes the key only if its last write is still our put: a successor's registration survives. */
	private CompletableFuture<TxnResponse> deleteIfOurs(Owned registration) {
		ByteSequence key = this.keys.key(registration.instance().serviceName(), registration.instance().instanceId());
		return this.client.getKVClient()
			.txn()
			.If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(registration.revision())))
			.Then(Op.delete(key, DeleteOption.DEFAULT))
			.commit();
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

	/** Number of lease grants that answered after their caller gave up, and were revoked then. */
	int lateGrantsRevoked() {
		return this.lateGrantsRevoked;
	}

	/** The round trip of each confirmed renewal of the lease, from send to etcd's answer. */
	LatencyTally renewals() {
		return this.renewalTimes;
	}

	/** Grants a lease and starts its keep-alive unless one is current; under {@link #lock}. */
	private long ensureLease() {
		long current = this.leaseId;
		if (current != 0) {
			return current;
		}
		long granted = grant();
		this.state.succeeded();
		this.leaseId = granted;
		this.lastRenewalNanos = this.ticker.getAsLong();
		this.leaseGrants++;
		this.keepAlive = openKeepAlive(granted, Duration.ofSeconds(this.ttlSeconds).dividedBy(3));
		logger.debug("Granted etcd lease {} (TTL {}s)", Long.toHexString(granted), this.ttlSeconds);
		return granted;
	}

	/**
	 * Grants a lease, waiting at most one attempt's timeout. A grant that answers later (a request held
	 * by a partition, or a slow leader) is revoked when it does: nobody will keep it alive or use it.
	 */
	private long grant() {
		CompletableFuture<LeaseGrantResponse> grant = this.client.getLeaseClient().grant(this.ttlSeconds);
		try {
			// wait on a copy: cancelling it on timeout leaves the request's own future to report a late grant
			return EtcdRequests.await(grant.copy(), this.attemptTimeout, "lease grant").getID();
		}
		catch (EtcdRequests.EtcdRequestException ex) {
			grant.thenAccept((late) -> {
				this.lateGrantsRevoked++;
				logger.debug("etcd lease {} granted after its request timed out; revoking it",
						Long.toHexString(late.getID()));
				revokeQuietly(late.getID(), "late-granted");
			});
			throw ex;
		}
	}

	private EtcdLeaseKeepAlive openKeepAlive(long lease, Duration firstRenewal) {
		EtcdLeaseKeepAlive started = new EtcdLeaseKeepAlive(this.renewal, lease, Duration.ofSeconds(this.ttlSeconds),
				this.attemptTimeout, this.scheduler, this.ticker, this.renewalTimes, new LeaseListener(lease));
		started.start(firstRenewal);
		return started;
	}

	private long put(ServiceInstance instance, long lease) {
		ByteSequence key = this.keys.key(instance.serviceName(), instance.instanceId());
		long revision = EtcdRequests.await(this.client.getKVClient()
			.put(key, ByteSequence.from(EtcdInstanceCodec.encode(instance)),
					PutOption.builder().withLeaseId(lease).build()),
				this.attemptTimeout, "put of " + EtcdKeys.text(key))
			.getHeader()
			.getRevision();
		this.state.succeeded();
		return revision;
	}

	/**
	 * Called on the scheduler when no renewal was confirmed for a TTL without etcd saying the lease is gone.
	 * Asks etcd: a live lease gets its keep-alive back (renewed at once); a missing one, or one whose TTL
	 * certainly passed while etcd could not be asked, is replaced.
	 */
	private void verifyLease(long lease) {
		this.lock.lock();
		try {
			if (this.closed || this.leaseId != lease) {
				return;
			}
		}
		finally {
			this.lock.unlock();
		}
		LeaseTimeToLiveResponse answer = null;
		Throwable failure = null;
		try {
			answer = EtcdRequests.await(this.client.getLeaseClient().timeToLive(lease, LeaseOption.DEFAULT),
					this.attemptTimeout, "time-to-live of lease " + Long.toHexString(lease));
		}
		catch (EtcdRequests.EtcdRequestException ex) {
			failure = ex;
		}
		this.lock.lock();
		try {
			if (this.closed || this.leaseId != lease) {
				return;
			}
			if (answer != null && answer.getTTL() <= 0) {
				leaseLost(lease, new IllegalStateException("etcd reports lease " + Long.toHexString(lease)
						+ " not found (time-to-live " + answer.getTTL() + ")"));
				return;
			}
			if (answer != null) {
				this.state.succeeded();
				// etcd answered before now that the lease had answer.getTTL() seconds left: it expires no
				// later than that many seconds from now
				this.lastRenewalNanos = Math.max(this.lastRenewalNanos,
						this.ticker.getAsLong() + TimeUnit.SECONDS.toNanos(answer.getTTL() - this.ttlSeconds));
				logger.info("etcd lease {} is alive ({}s left) after its keep-alive lapsed; keeping it alive again",
						Long.toHexString(lease), answer.getTTL());
			}
			else {
				this.state.failed(failure);
				if (certainlyExpired()) {
					leaseLost(lease, failure);
					return;
				}
				logger.debug("Could not ask etcd about lease {} ({}); keeping it alive again, its TTL has not passed",
						Long.toHexString(lease), failure.getMessage());
			}
			EtcdLeaseKeepAlive current = this.keepAlive;
			if (current != null) {
				current.close();
			}
			this.keepAlive = openKeepAlive(lease, Duration.ZERO);
		}
		finally {
			this.lock.unlock();
		}
	}

	/** Whether a whole TTL passed on the monotonic clock since etcd last certainly renewed the lease. */
	private boolean certainlyExpired() {
		return this.ticker.getAsLong() - this.lastRenewalNanos > TimeUnit.SECONDS.toNanos(this.ttlSeconds);
	}

	/** Called on the scheduler when etcd said the lease is gone. */
	private void onLeaseNotFound(long lostLease, Throwable cause) {
		this.lock.lock();
		try {
			if (this.closed || this.leaseId != lostLease) {
				return;
			}
			leaseLost(lostLease, cause);
		}
		finally {
			this.lock.unlock();
		}
	}

	/** Replaces a lost lease: grants another and writes every owned instance again; under {@link #lock}. */
	private void leaseLost(long lostLease, Throwable cause) {
		this.state.failed(cause);
		logger.warn("etcd lease {} lost ({}); granting a new one and registering {} instance(s) again",
				Long.toHexString(lostLease), EtcdRequests.unwrap(cause).toString(), this.owned.size());
		this.leaseId = 0;
		this.lostLeases.add(lostLease);
		EtcdLeaseKeepAlive current = this.keepAlive;
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
					for (Map.Entry<String, Owned> entry : this.owned.entrySet()) {
						ServiceInstance instance = entry.getValue().instance();
						entry.setValue(new Owned(instance, put(instance, lease)));
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
			revokeQuietly(lease, "replaced");
		}
	}

	private void revokeQuietly(long lease, String what) {
		this.client.getLeaseClient().revoke(lease).whenComplete((response, failure) -> {
			if (failure != null) {
				logger.debug("Revoke of {} etcd lease {} failed (it expires by itself): {}", what,
						Long.toHexString(lease), EtcdRequests.unwrap(failure).toString());
			}
		});
	}

	/**
	 * Stops the keep-alive and any re-registration, then deletes every owned key still ours and revokes the
	 * lease, all within one request timeout: requests still unanswered then are cancelled. What could not be
	 * cleaned up (etcd unreachable, stopping, or the client closed first) is logged as one warning naming the
	 * instances and the lease, whose TTL then removes the keys. Never throws. Idempotent.
	 */
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
			EtcdLeaseKeepAlive current = this.keepAlive;
			this.keepAlive = null;
			if (current != null) {
				current.close();
			}
			Map<String, CompletableFuture<?>> deletes = new LinkedHashMap<>();
			for (Map.Entry<String, Owned> entry : this.owned.entrySet()) {
				deletes.put(entry.getKey(), EtcdFailures.sent(() -> deleteIfOurs(entry.getValue())));
			}
			this.owned.clear();
			long lease = this.leaseId;
			if (lease == 0) {
				for (long lost : this.lostLeases) {
					lease = lost; // the last one lost and not replaced yet: the keys may still be bound to it
				}
			}
			this.leaseId = 0;
			new EtcdRegistrationCleanup(this.client, lease, this.ttlSeconds, this.requestTimeout, this.ticker)
				.finish(deletes);
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

	/** An owned instance and the revision our last put of it created. */
	private record Owned(ServiceInstance instance, long revision) {
	}

	/** Hands keep-alive failures to the scheduler; never blocks jetcd's threads nor takes {@link #lock}. */
	private final class LeaseListener implements EtcdLeaseKeepAlive.Listener {

		private final long lease;

		LeaseListener(long lease) {
			this.lease = lease;
		}

		@Override
		public void renewed(long answeredNanos) {
			EtcdLeasedRegistrations registrations = EtcdLeasedRegistrations.this;
			if (registrations.leaseId == this.lease) {
				registrations.lastRenewalNanos = answeredNanos;
			}
			registrations.state.succeeded();
		}

		@Override
		public boolean failed(Throwable cause) {
			EtcdLeasedRegistrations registrations = EtcdLeasedRegistrations.this;
			if (EtcdFailures.isClientClosed(cause) || registrations.leaseId != this.lease) {
				return false; // the client is closing, or the lease was replaced
			}
			if (EtcdLeaseRenewal.isLeaseNotFound(cause)) {
				// a keep-alive answered TTL 0: the lease is gone
				schedule(() -> registrations.onLeaseNotFound(this.lease, cause));
				return false;
			}
			registrations.state.failed(cause);
			if (registrations.certainlyExpired()) {
				// no renewal confirmed for a TTL: ask etcd whether the lease lives
				schedule(() -> verifyLease(this.lease));
				return false;
			}
			logger.debug("Renewal of etcd lease {} failed ({}); trying again", Long.toHexString(this.lease),
					cause.toString());
			return true;
		}

		private void schedule(Runnable task) {
			try {
				EtcdLeasedRegistrations.this.scheduler.execute(task);
			}
			catch (java.util.concurrent.RejectedExecutionException ex) {
				// the registry is closing
			}
		}

	}

}
