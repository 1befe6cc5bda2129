package dev.grpcscale.cluster.raft;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.server.DivisionInfo;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.cluster.AbstractLeaderElection;
import dev.grpcscale.cluster.ClusterMember;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeaderInfo;
import dev.grpcscale.cluster.MemberAnnouncement;
import dev.grpcscale.cluster.internal.ElectionTimer;

/**
 * Leader election among a fixed list of nodes with no coordinator: the nodes form a Raft group run by Apache
 * Ratis, each with a Raft server of its own on the {@code host:port} its {@link RaftNode} entry names. A
 * majority of the nodes must be up for anyone to lead.
 *
 * <pre>{@code
 * RaftLeaderElection election = RaftLeaderElection.builder()
 *     .settings(LeaderElectionSettings.builder().nodeId("orders-1").address("10.0.0.7:9090").build())
 *     .nodes(List.of(RaftNode.parse("orders-1=10.0.0.7:9871"), RaftNode.parse("orders-2=10.0.0.8:9871"),
 *         RaftNode.parse("orders-3=10.0.0.9:9871")))
 *     .storageDir(Path.of("/var/lib/orders/raft"))
 *     .build();   // starts the Raft server: the port is bound, the storage opened
 * election.join();
 * }</pre>
 *
 * <p><b>Settings mapping.</b> Ratis's election timeout is drawn between {@code rpc.timeout.min} =
 * {@code electionTimeout} and {@code rpc.timeout.max} = {@code 2 x electionTimeout}; Ratis's leader sends its own
 * heartbeats every {@code electionTimeout / 2}. Pre-vote is on: a follower that heard from the leader within
 * {@code electionTimeout} refuses to help elect another node, so a new leader can only be elected once a
 * majority has not heard from the old one for {@code electionTimeout}. {@code heartbeatInterval} is how often
 * the leader renews its lease: it appends a heartbeat entry (its id, its application address, how long ago it
 * heard from each member) and waits until a majority has stored it.
 *
 * <p><b>Leadership</b> follows Ratis: a node claims it only while Ratis says it leads, is leader-ready (it
 * committed an entry of its term) and its lease is valid. The lease is the engine's of
 * {@link AbstractLeaderElection}: a renewal counts from when it was sent, so a committed heartbeat sent at
 * {@code t} keeps this node leader until {@code t + electionTimeout - safetyMargin}, while the majority that
 * stored it will not elect another node before {@code t + electionTimeout}. A paused or cut-off leader thus
 * stops claiming leadership before another can be elected. Losing Ratis leadership (a higher term, a
 * transfer) revokes at the next check, within half a heartbeat interval.
 *
 * <p><b>Fencing token: the Raft term</b> of the leadership; Raft elects at most one leader per term and terms
 * only grow. A node whose lease lapsed while Ratis still counts it leader hands Ratis leadership over instead of
 * claiming the same term again, so every grant has a term of its own.
 *
 * <p><b>Graceful leave.</b> {@link #leave()} revokes, then transfers Ratis leadership to the most recently
 * heard-from follower (Ratis {@code transferLeadership}), so another node leads within a few round trips
 * instead of an election timeout. A node that left (or does not campaign, {@code leaderElection = false}) keeps
 * its Raft server running as a voter and hands over any leadership Ratis gives it. {@link #close()} also stops
 * the Raft server.
 *
 * <p><b>Storage.</b> Raft's term, vote and log live under {@code storageDir}; a node restarted on the same
 * directory rejoins with its identity. The log holds one small entry per renewal; a snapshot every 1024 entries
 * lets Ratis purge it.
 *
 * <p>Ratis would exit the JVM on some fatal errors (a Raft port it cannot bind, for one); building an election
 * turns that off for Ratis ({@code ExitUtils.disableSystemExit()}, JVM-wide), so they surface as exceptions.
 *
 * <p>The group id is derived from the settings' namespace and election name, so every node must use the same
 * ones, and the same list of nodes.
 *
 * <p>Inside, the Ratis server is {@code RaftServerHost}, the leader's heartbeat entries {@code HeartbeatEntries},
 * hand-overs {@code LeadershipHandOver} and the view of the group {@code RaftMembership}; this class is the
 * campaign and the engine's backend calls on them.
 */
public final class RaftLeaderElection extends AbstractLeaderElection<RaftLeaderElection.RaftSession> {

	private final List<RaftNode> nodes;

	private final RaftNode self;

	private final Path storageDir;

	private final String bindAddress;

	private final RaftServerHost host;

	private final HeartbeatEntries heartbeats;

	private final LeadershipHandOver handOver;

	private final RaftMembership membership;

	private final ElectionTimer timer;

	private final Duration pollInterval;

	private final ScheduledFuture<?> handOverCheck;

	private volatile boolean joined;

	/** The highest term a campaign of this node returned: never returned twice. */
	private volatile long lastCampaignTerm;

	private RaftLeaderElection(LeaderElectionSettings settings, List<RaftNode> nodes, RaftNode self, Path storageDir,
			String bindAddress) {
		super(settings);
		this.nodes = nodes;
		this.self = self;
		this.storageDir = storageDir;
		this.bindAddress = bindAddress;
		Duration heartbeat = settings.heartbeatInterval();
		Duration quarter = heartbeat.dividedBy(4);
		this.pollInterval = (quarter.compareTo(Duration.ofMillis(25)) < 0) ? quarter : Duration.ofMillis(25);
		this.host = new RaftServerHost(settings, nodes, self, storageDir, bindAddress);
		this.timer = new ElectionTimer(scheduler());
		this.heartbeats = new HeartbeatEntries(this.host, settings);
		this.handOver = new LeadershipHandOver(this.host, settings, this.timer);
		this.membership = new RaftMembership(this.host, settings, nodes);
		this.handOverCheck = scheduler().scheduleWithFixedDelay(this::handOverUnwantedLeadership,
				heartbeat.toNanos(), heartbeat.toNanos() / 2, TimeUnit.NANOSECONDS);
	}

	/** Starts a builder; see {@link Builder} for the defaults. */
	public static Builder builder() {
		return new Builder();
	}

	/** The Raft group's members, as configured. */
	public List<RaftNode> nodes() {
		return this.nodes;
	}

	/** This node's Raft storage directory. */
	public Path storageDir() {
		return this.storageDir;
	}

	/** The address this node's Raft server is bound to. */
	public String bindAddress() {
		return this.bindAddress;
	}

	/** The Raft group id, derived from the settings' namespace and election name. */
	public UUID groupId() {
		return this.host.groupId().getUuid();
	}

	/**
	 * The Raft role of this node now ({@code LEADER}, {@code FOLLOWER}, {@code CANDIDATE}), or {@code STOPPED}
	 * once closed. Leadership is {@link #isLeader()}, not this.
	 */
	public String raftRole() {
		DivisionInfo info = this.host.info();
		return (info != null) ? info.getCurrentRole().name() : "STOPPED";
	}

	/** The current Raft term as this node knows it; {@code 0} once closed. */
	public long currentTerm() {
		DivisionInfo info = this.host.info();
		return (info != null) ? info.getCurrentTerm() : 0;
	}

	@Override
	public void join() {
		this.joined = true;
		super.join();
	}

	@Override
	public void leave() {
		this.joined = false;
		super.leave();
	}

	/** Leaves (handing Ratis leadership over), then stops the Raft server. Idempotent. */
	@Override
	public void close() {
		try {
			super.close();
		}
		finally {
			this.handOverCheck.cancel(false);
			this.host.close();
		}
	}

	/**
	 * The nodes of the Raft group, each with its Raft role as this node knows it: its own from Ratis; on the
	 * leader, its followers'; on a follower, the leader's, and the other followers' as of the leader's last
	 * heartbeat entry. A node never heard from is {@code DEAD} with no role.
	 */
	@Override
	public List<ClusterMember> members() {
		return this.membership.withRoles(super.members());
	}

	@Override
	public String toString() {
		return "RaftLeaderElection[node=" + this.self + ", group=" + this.host.groupId() + "]";
	}

	// ---- backend ----

	@Override
	protected String provider() {
		return "raft";
	}

	@Override
	protected CompletableFuture<RaftSession> openSession() {
		if (this.host.isClosed()) {
			return CompletableFuture.failedFuture(new IllegalStateException("the Raft server is closed"));
		}
		return CompletableFuture.completedFuture(new RaftSession());
	}

	@Override
	protected CompletableFuture<Boolean> renewSession(RaftSession session) {
		DivisionInfo info = this.host.info();
		if (info == null) {
			return CompletableFuture.completedFuture(false);
		}
		long term = session.term;
		if (term > 0) {
			if (!info.isLeader() || info.getCurrentTerm() != term) {
				return CompletableFuture.completedFuture(false);
			}
			return this.heartbeats.confirm(term);
		}
		if (info.isLeader()) {
			// A renewal sent while this node may be about to lead counts only once a majority confirmed it.
			return this.heartbeats.confirm(info.getCurrentTerm());
		}
		if (session.confirming) {
			return CompletableFuture.failedFuture(new IllegalStateException("leadership is being confirmed"));
		}
		return CompletableFuture.completedFuture(true);
	}

	@Override
	protected CompletableFuture<Long> campaign(RaftSession session) {
		CompletableFuture<Long> result = new CompletableFuture<>();
		poll(session, result);
		return result;
	}

	private void poll(RaftSession session, CompletableFuture<Long> result) {
		if (result.isDone()) {
			return;
		}
		if (session.ended || this.host.isClosed()) {
			result.completeExceptionally(new IllegalStateException(session + " ended"));
			return;
		}
		DivisionInfo info = this.host.info();
		if (info != null && info.isLeader() && info.isLeaderReady()) {
			long term = info.getCurrentTerm();
			if (term <= this.lastCampaignTerm) {
				// This node held leadership in this term already and lost it: hand Ratis leadership over so the
				// next leadership gets a term of its own.
				this.handOver.yieldLeadership(term, "its lease in term " + term + " lapsed");
			}
			else {
				session.confirming = true;
				long sent = nanoTime();
				this.heartbeats.confirm(term).whenComplete((confirmed, ex) -> {
					DivisionInfo now = this.host.info();
					boolean fresh = nanoTime() - sent < settings().leaseValidity().toNanos() / 2;
					if (ex == null && Boolean.TRUE.equals(confirmed) && fresh && now != null && now.isLeader()
							&& now.getCurrentTerm() == term && !session.ended && term > this.lastCampaignTerm) {
						this.lastCampaignTerm = term;
						session.term = term;
						result.complete(term);
					}
					else {
						session.confirming = false;
						this.timer.schedule(() -> poll(session, result), this.pollInterval);
					}
				});
				return;
			}
		}
		this.timer.schedule(() -> poll(session, result), this.pollInterval);
	}

	@Override
	protected CompletableFuture<Void> closeSession(RaftSession session) {
		session.ended = true;
		DivisionInfo info = this.host.info();
		if (info == null || !info.isLeader()) {
			return CompletableFuture.completedFuture(null);
		}
		return this.handOver.yieldLeadership(info.getCurrentTerm(), this.joined ? "its session ended" : "it leaves");
	}

	@Override
	protected List<MemberAnnouncement> announcedMembers() {
		return this.membership.announcedMembers();
	}

	@Override
	protected @Nullable LeaderInfo observedLeader() {
		return this.membership.observedLeader();
	}

	/** Hands over leadership Ratis gave a node that does not campaign, or left. */
	private void handOverUnwantedLeadership() {
		boolean member = this.joined;
		if (member && settings().leaderElection()) {
			return;
		}
		this.handOver.yieldReadyLeadership(member ? "it does not campaign" : "it left the election");
	}

	/** A session: this node's candidacy until its leadership (if any) ends. */
	public static final class RaftSession {

		volatile long term;

		volatile boolean confirming;

		volatile boolean ended;

		RaftSession() {
		}

		@Override
		public String toString() {
			return "raft session" + ((this.term > 0) ? " leading term " + this.term : "");
		}

	}

	/**
	 * Builder for {@link RaftLeaderElection}. Setters check their argument at once and throw
	 * {@link IllegalArgumentException} naming the setting, the value and what is expected.
	 */
	public static final class Builder {

		private @Nullable LeaderElectionSettings settings;

		private List<RaftNode> nodes = List.of();

		private @Nullable Path storageDir;

		private @Nullable String bindAddress;

		private Builder() {
		}

		/** The election settings; required. Their node id must be one of the {@link #nodes(List) nodes}. */
		public Builder settings(LeaderElectionSettings settings) {
			this.settings = Objects.requireNonNull(settings, "settings");
			return this;
		}

		/**
		 * The Raft group's members, this node included; required. Every node must be given the same list.
		 * @throws IllegalArgumentException if empty or if two entries share an id or an address
		 */
		public Builder nodes(List<RaftNode> nodes) {
			Objects.requireNonNull(nodes, "nodes");
			if (nodes.isEmpty()) {
				throw new IllegalArgumentException("nodes: [] (expected: the Raft group's members, id=host:port)");
			}
			Set<String> ids = new HashSet<>();
			Set<String> addresses = new HashSet<>();
			for (RaftNode node : nodes) {
				Objects.requireNonNull(node, "nodes[]");
				if (!ids.add(node.nodeId())) {
					throw new IllegalArgumentException("nodes: " + nodes + " (expected: unique node ids; '"
							+ node.nodeId() + "' appears twice)");
				}
				if (!addresses.add(node.address())) {
					throw new IllegalArgumentException("nodes: " + nodes + " (expected: unique addresses; '"
							+ node.address() + "' appears twice)");
				}
			}
			this.nodes = List.copyOf(nodes);
			return this;
		}

		/**
		 * The directory Raft's durable state (term, vote, log, snapshots) lives in; default
		 * {@code ./grpc-scale-raft/<nodeId>} under the working directory. Created if missing.
		 */
		public Builder storageDir(Path storageDir) {
			this.storageDir = Objects.requireNonNull(storageDir, "storageDir");
			return this;
		}

		/**
		 * The address the Raft server binds to, for example {@code 0.0.0.0}; default the host of this node's
		 * entry in {@link #nodes(List)}.
		 * @throws IllegalArgumentException if blank
		 */
		public Builder bindAddress(String bindAddress) {
			Objects.requireNonNull(bindAddress, "bindAddress");
			if (bindAddress.isBlank()) {
				throw new IllegalArgumentException("bindAddress: '' (expected: a host name or IP literal)");
			}
			this.bindAddress = bindAddress;
			return this;
		}

		/**
		 * Builds the election and starts its Raft server (binds the port, opens or creates the storage); not
		 * joined yet.
		 * @throws IllegalArgumentException if the settings or nodes are missing, or this node's id is not one
		 * of the nodes
		 * @throws RaftStartupException if the storage directory cannot be used or the port is in use
		 */
		public RaftLeaderElection build() {
			LeaderElectionSettings settings = this.settings;
			if (settings == null) {
				throw new IllegalArgumentException("settings: null (expected: LeaderElectionSettings)");
			}
			if (this.nodes.isEmpty()) {
				throw new IllegalArgumentException("nodes: [] (expected: the Raft group's members, id=host:port)");
			}
			RaftNode self = this.nodes.stream()
				.filter((node) -> node.nodeId().equals(settings.nodeId()))
				.findFirst()
				.orElseThrow(() -> new IllegalArgumentException("nodes: " + this.nodes + " (expected: an entry for "
						+ "this node's id '" + settings.nodeId() + "')"));
			Path storage = (this.storageDir != null) ? this.storageDir
					: Path.of("grpc-scale-raft", settings.nodeId());
			storage = storage.toAbsolutePath().normalize();
			checkWritable(storage);
			String bind = (this.bindAddress != null) ? this.bindAddress : self.host();
			return new RaftLeaderElection(settings, this.nodes, self, storage, bind);
		}

		private static void checkWritable(Path storage) {
			try {
				Files.createDirectories(storage);
				Path probe = Files.createTempFile(storage, ".write-check", ".tmp");
				Files.delete(probe);
			}
			catch (IOException | RuntimeException ex) {
				File file = storage.toFile();
				throw new RaftStartupException(RaftStartupException.Reason.STORAGE, "storageDir: " + storage
						+ " (expected: a writable directory" + (file.exists() ? "" : " or one that can be created")
						+ "; " + ex + ")", ex);
			}
		}

	}

}
