package dev.grpcscale.cluster;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;

/**
 * Leader election among the nodes of one JVM: for development, tests and several application contexts in
 * one process. Nodes compete in an {@link InMemoryLeaderGroup}: pass the same group object to
 * {@link #create(InMemoryLeaderGroup, LeaderElectionSettings)}, or use {@link #shared(LeaderElectionSettings)},
 * which puts every election of the same namespace and election name in this JVM in one group.
 *
 * <pre>{@code
 * InMemoryLeaderGroup group = InMemoryLeaderGroup.create();
 * LeaderElection a = InMemoryLeaderElection.create(group, LeaderElectionSettings.of("a"));
 * a.join();
 * }</pre>
 *
 * <p>It follows the same lease rules as a real backend (see {@link AbstractLeaderElection}): a node that
 * stops renewing loses leadership after {@code electionTimeout - safetyMargin} on its own clock and the
 * group promotes another after {@code electionTimeout}. Fencing tokens come from the group's counter.
 */
public final class InMemoryLeaderElection extends AbstractLeaderElection<InMemoryLeaderGroup.Member> {

	private final InMemoryLeaderGroup group;

	private final boolean sharedGroup;

	private final AtomicBoolean released = new AtomicBoolean();

	private InMemoryLeaderElection(InMemoryLeaderGroup group, boolean sharedGroup, LeaderElectionSettings settings) {
		super(settings);
		this.group = group;
		this.sharedGroup = sharedGroup;
	}

	/**
	 * An election in the given group.
	 * @param group the group the node competes in
	 * @param settings the settings
	 * @return the election, not joined yet
	 */
	public static InMemoryLeaderElection create(InMemoryLeaderGroup group, LeaderElectionSettings settings) {
		return new InMemoryLeaderElection(Objects.requireNonNull(group, "group"), false, settings);
	}

	/**
	 * An election in the JVM-wide group of {@code settings.namespace()} and {@code settings.electionName()}.
	 * @param settings the settings
	 * @return the election, not joined yet; close it to release the group
	 */
	public static InMemoryLeaderElection shared(LeaderElectionSettings settings) {
		InMemoryLeaderGroup group = InMemoryLeaderGroup.acquire(settings.namespace() + "/" + settings.electionName());
		return new InMemoryLeaderElection(group, true, settings);
	}

	/** The group this election competes in. */
	public InMemoryLeaderGroup group() {
		return this.group;
	}

	@Override
	protected String provider() {
		return "memory";
	}

	@Override
	protected CompletableFuture<InMemoryLeaderGroup.Member> openSession() {
		LeaderElectionSettings settings = settings();
		return CompletableFuture.completedFuture(this.group.open(settings.nodeId(), settings.address(),
				settings.clock().instant(), settings.electionTimeout().toNanos(), nanoTime()));
	}

	@Override
	protected CompletableFuture<Boolean> renewSession(InMemoryLeaderGroup.Member session) {
		return CompletableFuture
			.completedFuture(this.group.renew(session, settings().clock().instant(), nanoTime()));
	}

	@Override
	protected CompletableFuture<Long> campaign(InMemoryLeaderGroup.Member session) {
		return this.group.campaign(session, nanoTime());
	}

	@Override
	protected CompletableFuture<Void> closeSession(InMemoryLeaderGroup.Member session) {
		this.group.close(session, nanoTime());
		return CompletableFuture.completedFuture(null);
	}

	@Override
	protected List<MemberAnnouncement> announcedMembers() {
		return this.group.members(nanoTime());
	}

	@Override
	protected @Nullable LeaderInfo observedLeader() {
		return this.group.leader(nanoTime());
	}

	/** Leaves, stops the election's threads and, for a shared group, releases it. Idempotent. */
	@Override
	public void close() {
		super.close();
		if (this.sharedGroup && this.released.compareAndSet(false, true)) {
			this.group.release();
		}
	}

}
