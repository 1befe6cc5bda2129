package dev.grpcscale.cluster.kubernetes;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.AbstractLeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeaderInfo;
import dev.grpcscale.cluster.MemberAnnouncement;
import dev.grpcscale.internal.DaemonThreads;

/**
 * Leader election and membership on Kubernetes {@code coordination.k8s.io/v1} Leases, through the
 * application's fabric8 {@link KubernetesClient} (not closed by the election).
 *
 * <pre>{@code
 * KubernetesLeaderElection election = KubernetesLeaderElection.builder()
 *     .client(kubernetesClient).namespace("shop")
 *     .settings(LeaderElectionSettings.builder().nodeId(System.getenv("HOSTNAME")).build())
 *     .build();
 * election.join();
 * }</pre>
 *
 * <p><b>The election Lease</b>, named after the election ({@link LeaseNames#leaseName(String)}), holds
 * {@code holderIdentity} = the leader's node id, {@code leaseDurationSeconds} = {@code electionTimeout} rounded
 * up to whole seconds (the field has whole seconds only; rounding up only delays the next leader),
 * {@code renewTime}, {@code acquireTime} and {@code leaseTransitions}. The leader rewrites {@code renewTime}
 * every {@code heartbeatInterval}; every write of an existing Lease carries the {@code resourceVersion} this
 * node read or wrote last, so the API server refuses it (409 Conflict) if anyone else wrote in between.
 *
 * <p><b>Taking the Lease.</b> A candidate reads the Lease every {@code min(heartbeatInterval, 2s)} (sooner
 * when it is about to expire) and takes it, with one conditional write, when it is absent, has no holder
 * (released), was written by an earlier session of this very election object (annotation
 * {@value LeaseNames#INSTANCE_ANNOTATION}; another process with the same node id counts as another holder), or
 * has expired: when {@code leaseDurationSeconds}
 * have passed on this node's monotonic ticker since it last saw the Lease's record change, as client-go's
 * leader election does ({@link LeaseObservation}). It never compares {@code renewTime}, the holder's wall clock,
 * with its own: nodes' wall clocks may disagree by any amount. A conflict means another node was faster.
 *
 * <p><b>Fencing token: {@code leaseTransitions}</b>, set on every takeover to one more than the highest of the
 * Lease's value and every token this node has seen (a Lease created anew after someone deleted it thus
 * continues the sequence as far as the creating node knows it); renewals keep it. Each takeover is a
 * conditional write on the version the taker read, so two takers cannot write the same value, and the value only
 * grows. Only deleting the Lease while no running node has seen it resets the sequence. An annotation counter
 * would add nothing: it lives and dies with the Lease as {@code leaseTransitions} does.
 *
 * <p><b>Stepping down.</b> Leadership is counted as for every provider ({@link AbstractLeaderElection}): from
 * the send time of the last confirmed renewal, for {@code electionTimeout - safetyMargin}, on the monotonic
 * ticker, so a leader that cannot reach the API server stops claiming leadership before any candidate (which
 * waits {@code leaseDurationSeconds >= electionTimeout} after it last saw a change) may take over. A renewal
 * answered 409 re-reads the Lease: if it still names this node with this node's token (someone changed only
 * labels or annotations), the renewal is retried on the new version; otherwise this node steps down at once.
 * 404 (Lease deleted) steps down too. Graceful leave clears {@code holderIdentity} (and sets a duration of 1s,
 * as client-go does), so a candidate takes over at its next read, without waiting for expiry.
 *
 * <p><b>Members</b>: every node keeps a member Lease of its own ({@link LeaseNames#memberLeaseName}), holder =
 * its node id, annotation {@value LeaseNames#ADDRESS_ANNOTATION} = its address, rewritten every heartbeat and
 * deleted on leave; all Leases of an election carry the label {@value LeaseNames#ELECTION_LABEL}, which one
 * {@code list} reads every half heartbeat. A member's last heartbeat is its {@code renewTime}; with node ids
 * that are pod names ({@code HOSTNAME}), the members are the group's pods. The leader deletes member Leases not
 * renewed for {@value #STALE_MEMBER_DURATIONS} lease durations (crashed pods; a live node whose Lease was
 * deleted writes it again at its next heartbeat). A Lease of the election that grpc-scale did not write (no
 * holder or renew time) is skipped with one warning per version. RBAC: {@code get}, {@code list},
 * {@code create}, {@code update} and {@code delete} on {@code leases} in the namespace.
 *
 * <p>Requests run one at a time on the thread {@code grpc-scale-kubernetes-<nodeId>}, on a client derived from
 * the given one without fabric8's request retries (the election retries on its own schedule) and with a request
 * timeout of {@code electionTimeout}; the thread stops on {@link #close()}.
 */
public final class KubernetesLeaderElection extends AbstractLeaderElection<KubernetesSession> {

	private static final Logger logger = LoggerFactory.getLogger(KubernetesLeaderElection.class);

	/** Longest pause between two reads of a candidate, as client-go's default retry period. */
	static final Duration MAX_RETRY_PERIOD = Duration.ofSeconds(2);

	private static final long MIN_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

	/** Member Leases not renewed for this many lease durations are deleted by the leader. */
	static final int STALE_MEMBER_DURATIONS = 20;

	private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

	private final ElectionLeases leases;

	private final String namespace;

	private final int durationSeconds;

	private final long retryNanos;

	private final ExecutorService io;

	private final LeaseObservation observation;

	private final AtomicLong sessions = new AtomicLong();

	private final AtomicBoolean closed = new AtomicBoolean();

	private final Map<String, String> warned = new ConcurrentHashMap<>();

	private volatile List<MemberAnnouncement> members = List.of();

	private volatile @Nullable CompletableFuture<Void> pendingRefresh;

	private KubernetesLeaderElection(LeaderElectionSettings settings, KubernetesClient client, String namespace) {
		super(settings);
		this.namespace = namespace;
		this.durationSeconds = leaseDurationSeconds(settings.electionTimeout());
		String leaseName = LeaseNames.leaseName(settings.qualifiedName());
		KubernetesClient requests = client
			.newClient(new RequestConfigBuilder(client.getConfiguration().getRequestConfig())
				.withRequestRetryBackoffLimit(0)
				.withRequestTimeout((int) Math.min(Integer.MAX_VALUE, settings.electionTimeout().toMillis()))
				.build())
			.adapt(KubernetesClient.class);
		this.leases = new ElectionLeases(requests, namespace, leaseName,
				LeaseNames.memberLeaseName(leaseName, settings.nodeId()), this.durationSeconds,
				UUID.randomUUID().toString());
		this.retryNanos = Math.min(settings.heartbeatInterval().toNanos(), MAX_RETRY_PERIOD.toNanos());
		this.observation = new LeaseObservation(settings.ticker());
		this.io = Executors.newSingleThreadExecutor(DaemonThreads.named("grpc-scale-kubernetes-" + settings.nodeId()));
	}

	/** Starts a builder. */
	public static Builder builder() {
		return new Builder();
	}

	/** The namespace of this election's Leases. */
	public String namespace() {
		return this.namespace;
	}

	/** The name of the election Lease. */
	public String leaseName() {
		return this.leases.leaseName();
	}

	/** The name of this node's member Lease. */
	public String memberLeaseName() {
		return this.leases.memberLeaseName();
	}

	/** {@code leaseDurationSeconds} written: {@code electionTimeout} rounded up to whole seconds. */
	public Duration leaseDuration() {
		return Duration.ofSeconds(this.durationSeconds);
	}

	/** Leaves, then stops the I/O thread. The client is left open. Idempotent. */
	@Override
	public void close() {
		if (!this.closed.compareAndSet(false, true)) {
			return;
		}
		try {
			super.close();
		}
		finally {
			this.io.shutdownNow();
		}
	}

	@Override
	public String toString() {
		return "KubernetesLeaderElection[node=" + settings().nodeId() + ", lease=" + this.namespace + "/"
				+ leaseName() + "]";
	}

	// ---- backend ----

	@Override
	protected String provider() {
		return "kubernetes";
	}

	@Override
	protected CompletableFuture<KubernetesSession> openSession() {
		KubernetesSession session = new KubernetesSession(this.sessions.incrementAndGet());
		return io(() -> {
			writeMember(session);
			return session;
		});
	}

	@Override
	protected CompletableFuture<Boolean> renewSession(KubernetesSession session) {
		long asked = nanoTime();
		session.newestRenewal = asked;
		// Queued behind any campaign write of this session: a renewal sent before this session took the Lease
		// finds it leading here and renews the Lease itself, after its send time.
		return io(() -> {
			if (session.newestRenewal != asked) {
				// A newer renewal is queued (requests are slower than heartbeats): it writes, this one does not.
				throw new IllegalStateException("renewal superseded by a newer one");
			}
			if (!session.leading) {
				writeMember(session);
				return true;
			}
			boolean renewed = renewLease(session, true);
			if (renewed) {
				try {
					writeMember(session);
				}
				catch (RuntimeException ex) {
					logger.debug("Node {}: renewing member Lease {} failed", settings().nodeId(), memberLeaseName(),
							ex);
				}
			}
			return renewed;
		});
	}

	@Override
	protected CompletableFuture<Long> campaign(KubernetesSession session) {
		CompletableFuture<Long> result = new CompletableFuture<>();
		attempt(session, result);
		return result;
	}

	@Override
	protected CompletableFuture<Void> closeSession(KubernetesSession session) {
		session.end();
		return io(() -> {
			if (session.leading) {
				release(session);
			}
			String version = session.memberVersion;
			if (version != null) {
				try {
					this.leases.delete(memberLeaseName(), version);
				}
				catch (RuntimeException ex) {
					logger.debug("Node {}: deleting member Lease {} failed", settings().nodeId(), memberLeaseName(),
							ex);
				}
			}
			return null;
		});
	}

	@Override
	protected CompletableFuture<Void> refreshView() {
		CompletableFuture<Void> pending = this.pendingRefresh;
		if (pending != null && !pending.isDone()) {
			// Still queued or running: reads do not pile up when requests are slower than refreshes.
			return pending;
		}
		CompletableFuture<Void> refresh = io(() -> {
			List<Lease> all = this.leases.listElection();
			Lease election = null;
			List<MemberAnnouncement> announced = new ArrayList<>();
			List<Lease> memberLeases = new ArrayList<>();
			for (Lease lease : all) {
				String name = lease.getMetadata().getName();
				if (leaseName().equals(name)) {
					election = lease;
				}
				else if (lease.getMetadata().getLabels() != null
						&& LeaseNames.ROLE_MEMBER.equals(lease.getMetadata().getLabels().get(LeaseNames.ROLE_LABEL))) {
					memberLeases.add(lease);
					MemberAnnouncement member = member(lease);
					if (member != null) {
						announced.add(member);
					}
				}
			}
			// An election Lease written by someone else may lack the label: read it by name.
			this.observation.observe((election != null) ? election : this.leases.getElection());
			this.members = List.copyOf(announced);
			if (isLeader()) {
				deleteStaleMembers(memberLeases);
			}
			return null;
		});
		this.pendingRefresh = refresh;
		return refresh;
	}

	@Override
	protected List<MemberAnnouncement> announcedMembers() {
		return this.members;
	}

	@Override
	protected @Nullable LeaderInfo observedLeader() {
		LeaseObservation.Record record = this.observation.record();
		if (record == null || record.holder().isEmpty() || this.observation.nanosUntilFree() == 0) {
			return null;
		}
		return new LeaderInfo(record.holder(), record.address(), record.transitions());
	}

	// ---- on the I/O thread ----

	private void attempt(KubernetesSession session, CompletableFuture<Long> result) {
		if (session.isEnded() || this.closed.get()) {
			result.completeExceptionally(new IllegalStateException(session + " ended"));
			return;
		}
		io(() -> tryAcquire(session)).whenComplete((token, ex) -> {
			if (ex != null) {
				result.completeExceptionally(ex);
			}
			else if (token != null) {
				result.complete(token);
			}
			else {
				long delay = Math.min(this.retryNanos, Math.max(MIN_RETRY_NANOS, this.observation.nanosUntilFree()));
				try {
					scheduler().schedule(() -> attempt(session, result), delay, TimeUnit.NANOSECONDS);
				}
				catch (RejectedExecutionException rejected) {
					result.completeExceptionally(rejected);
				}
			}
		});
	}

	/** One attempt to take the election Lease; the new fencing token, or {@code null} when not (yet) free. */
	private @Nullable Long tryAcquire(KubernetesSession session) {
		if (session.isEnded()) {
			return null;
		}
		Lease current = this.leases.getElection();
		this.observation.observe(current);
		LeaseObservation.Record record = this.observation.record();
		String previous = (record != null) ? record.holder() : "";
		boolean ownEarlierSession = previous.equals(settings().nodeId()) && this.leases.wroteItself(current);
		boolean free = record == null || previous.isEmpty() || ownEarlierSession
				|| this.observation.nanosUntilFree() == 0;
		if (!free) {
			return null;
		}
		long next = Math.max(highestFencingTokenSeen(), (record != null) ? record.transitions() : 0) + 1;
		if (next > Integer.MAX_VALUE) {
			throw new IllegalStateException("leaseTransitions of Lease " + leaseName() + " is at its maximum");
		}
		ZonedDateTime now = now();
		Lease written;
		try {
			written = this.leases.writeElection(current, settings().nodeId(),
					settings().address(), (int) next, now, now, this.durationSeconds);
		}
		catch (RuntimeException ex) {
			if (ElectionLeases.isStatus(ex, ElectionLeases.CONFLICT)) {
				logger.debug("Node {}: another node wrote Lease {} first", settings().nodeId(), leaseName());
				return null;
			}
			throw ex;
		}
		session.leading = true;
		session.token = (int) next;
		session.acquired = now;
		session.lease = written;
		this.observation.observe(written);
		logger.info("Node {} took Lease {}/{} with leaseTransitions {} ({})", settings().nodeId(), this.namespace,
				leaseName(), next, (record == null) ? "the Lease was absent"
						: previous.isEmpty() ? "it had no holder"
								: ownEarlierSession ? "held by an earlier session of this node" : "held by " + previous
										+ ", expired");
		return next;
	}

	/** Rewrites {@code renewTime}; {@code false} when the Lease is no longer this session's. */
	private boolean renewLease(KubernetesSession session, boolean retryOnForeignChange) {
		try {
			Lease written = this.leases.writeElection(session.lease, settings().nodeId(), settings().address(),
					session.token, session.acquired, now(), this.durationSeconds);
			session.lease = written;
			this.observation.observe(written);
			return true;
		}
		catch (RuntimeException ex) {
			if (ElectionLeases.isStatus(ex, ElectionLeases.NOT_FOUND)) {
				logger.warn("Node {}: Lease {} was deleted; stepping down", settings().nodeId(), leaseName());
				return false;
			}
			if (!ElectionLeases.isStatus(ex, ElectionLeases.CONFLICT)) {
				throw ex;
			}
		}
		Lease current = this.leases.getElection();
		this.observation.observe(current);
		LeaseObservation.Record record = this.observation.record();
		if (retryOnForeignChange && current != null && record != null
				&& record.holder().equals(settings().nodeId()) && record.transitions() == session.token) {
			logger.info("Node {}: Lease {} changed without changing holder or leaseTransitions (labels or "
					+ "annotations); renewing on its resourceVersion {}", settings().nodeId(), leaseName(),
					ElectionLeases.version(current));
			session.lease = current;
			return renewLease(session, false);
		}
		logger.warn("Node {}: Lease {} was written by someone else (now holder '{}', leaseTransitions {}); "
				+ "stepping down", settings().nodeId(), leaseName(), (record != null) ? record.holder() : "(deleted)",
				(record != null) ? record.transitions() : "-");
		session.leading = false;
		return false;
	}

	/** Clears the holder, so a candidate takes over at its next read; a conflict means it is not ours anymore. */
	private void release(KubernetesSession session) {
		session.leading = false;
		try {
			Lease written = this.leases.writeElection(session.lease, null, "", session.token,
					session.acquired, now(), 1);
			this.observation.observe(written);
			logger.info("Node {} released Lease {}/{}", settings().nodeId(), this.namespace, leaseName());
		}
		catch (RuntimeException ex) {
			logger.debug("Node {}: releasing Lease {} failed; it expires on its own", settings().nodeId(),
					leaseName(), ex);
		}
	}

	private void writeMember(KubernetesSession session) {
		String version = session.memberVersion;
		if (version != null) {
			try {
				session.memberVersion = ElectionLeases
					.version(this.leases.writeMember(version, settings().nodeId(), settings().address(), now()));
				return;
			}
			catch (RuntimeException ex) {
				if (!ElectionLeases.isStatus(ex, ElectionLeases.CONFLICT)
						&& !ElectionLeases.isStatus(ex, ElectionLeases.NOT_FOUND)) {
					throw ex;
				}
			}
		}
		// First write, or the Lease changed or vanished (deleted as stale): write over what is there now.
		String current = ElectionLeases.version(this.leases.getMember());
		session.memberVersion = ElectionLeases
			.version(this.leases.writeMember(current, settings().nodeId(), settings().address(), now()));
	}

	private @Nullable MemberAnnouncement member(Lease lease) {
		String holder = (lease.getSpec() != null) ? lease.getSpec().getHolderIdentity() : null;
		ZonedDateTime renewed = (lease.getSpec() != null) ? lease.getSpec().getRenewTime() : null;
		if (holder == null || holder.isBlank() || renewed == null) {
			String name = lease.getMetadata().getName();
			String version = Objects.requireNonNullElse(ElectionLeases.version(lease), "");
			if (!version.equals(this.warned.put(name, version))) {
				logger.warn("Node {} of election '{}': skipping Lease {}, labelled as a member but without holder "
						+ "or renewTime", settings().nodeId(), settings().qualifiedName(), name);
			}
			return null;
		}
		String address = lease.getMetadata().getAnnotations() != null
				? lease.getMetadata().getAnnotations().getOrDefault(LeaseNames.ADDRESS_ANNOTATION, "") : "";
		return new MemberAnnouncement(holder, address, renewed.toInstant());
	}

	private void deleteStaleMembers(List<Lease> memberLeases) {
		Instant cutoff = settings().clock()
			.instant()
			.minusSeconds((long) this.durationSeconds * STALE_MEMBER_DURATIONS);
		for (Lease lease : memberLeases) {
			ZonedDateTime renewed = (lease.getSpec() != null) ? lease.getSpec().getRenewTime() : null;
			String version = ElectionLeases.version(lease);
			if (renewed != null && version != null && renewed.toInstant().isBefore(cutoff)) {
				try {
					this.leases.delete(lease.getMetadata().getName(), version);
					logger.info("Node {} deleted member Lease {}, not renewed since {}", settings().nodeId(),
							lease.getMetadata().getName(), renewed);
				}
				catch (RuntimeException ex) {
					logger.debug("Node {}: deleting stale member Lease {} failed", settings().nodeId(),
							lease.getMetadata().getName(), ex);
				}
			}
		}
	}

	private ZonedDateTime now() {
		return ZonedDateTime.now(settings().clock());
	}

	private <T> CompletableFuture<T> io(Callable<T> call) {
		CompletableFuture<T> result = new CompletableFuture<>();
		try {
			this.io.execute(() -> {
				try {
					result.complete(call.call());
				}
				catch (Exception ex) {
					result.completeExceptionally(ex);
				}
			});
		}
		catch (RejectedExecutionException ex) {
			result.completeExceptionally(ex);
		}
		return result;
	}

	static int leaseDurationSeconds(Duration electionTimeout) {
		long seconds = (electionTimeout.toMillis() + 999) / 1000;
		return (int) Math.max(1, Math.min(Integer.MAX_VALUE, seconds));
	}

	/**
	 * Builder for {@link KubernetesLeaderElection}. Setters check their argument at once and throw
	 * {@link IllegalArgumentException} naming the setting, the value and what is expected.
	 */
	public static final class Builder {

		private @Nullable KubernetesClient client;

		private @Nullable String namespace;

		private @Nullable LeaderElectionSettings settings;

		private Builder() {
		}

		/** The application's client; required. The election neither configures nor closes it. */
		public Builder client(KubernetesClient client) {
			this.client = Objects.requireNonNull(client, "client");
			return this;
		}

		/**
		 * The namespace of the Leases; default the client's namespace (in a pod, its own namespace), else
		 * {@code default}.
		 * @throws IllegalArgumentException if not a DNS-1123 label
		 */
		public Builder namespace(String namespace) {
			Objects.requireNonNull(namespace, "namespace");
			if (namespace.length() > 63 || !NAMESPACE.matcher(namespace).matches()) {
				throw new IllegalArgumentException("namespace: '" + namespace + "' (expected: a Kubernetes namespace, "
						+ "at most 63 characters of a-z, 0-9 and '-', beginning and ending with a letter or digit)");
			}
			this.namespace = namespace;
			return this;
		}

		/** The election settings; required. */
		public Builder settings(LeaderElectionSettings settings) {
			this.settings = Objects.requireNonNull(settings, "settings");
			return this;
		}

		/**
		 * Builds the election, not joined yet.
		 * @throws IllegalArgumentException if the client or settings are missing, or the election's name does
		 * not map to a Lease name ({@link LeaseNames#leaseName(String)})
		 */
		public KubernetesLeaderElection build() {
			if (this.client == null) {
				throw new IllegalArgumentException("client: null (expected: a KubernetesClient)");
			}
			if (this.settings == null) {
				throw new IllegalArgumentException("settings: null (expected: LeaderElectionSettings)");
			}
			LeaseNames.leaseName(this.settings.qualifiedName());
			String namespace = this.namespace;
			if (namespace == null) {
				String clients = this.client.getNamespace();
				namespace = (clients != null && !clients.isBlank()) ? clients : "default";
			}
			return new KubernetesLeaderElection(this.settings, this.client, namespace);
		}

	}

}
