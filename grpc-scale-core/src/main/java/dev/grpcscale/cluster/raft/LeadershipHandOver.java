package dev.grpcscale.cluster.raft;

import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.server.DivisionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.internal.ElectionTimer;

/**
 * Hands Ratis leadership over to the most recently heard-from follower: on a graceful leave, when a lease
 * lapsed while Ratis still counts this node leader (so the next leadership gets a term of its own), and when
 * Ratis made leader a node that does not campaign or left. It asks once per term; a transfer that failed is
 * asked again after a heartbeat interval, not at every poll. Thread-safe.
 */
final class LeadershipHandOver {

	/** Logs under the election's name, where these lines have always been logged. */
	private static final Logger logger = LoggerFactory.getLogger(RaftLeaderElection.class);

	private final RaftServerHost host;

	private final LeaderElectionSettings settings;

	private final ElectionTimer timer;

	/** The term this node last asked Ratis to hand over, so it asks once per term. */
	private volatile long yieldedTerm;

	LeadershipHandOver(RaftServerHost host, LeaderElectionSettings settings, ElectionTimer timer) {
		this.host = host;
		this.settings = settings;
		this.timer = timer;
	}

	/**
	 * Transfers Ratis leadership of {@code term} to the most recently heard-from follower, if this node leads
	 * in that term and has not asked for it yet.
	 * @param term the term to hand over
	 * @param reason why, for the log
	 * @return completes when Ratis answered (a failure is logged, not returned)
	 */
	CompletableFuture<Void> yieldLeadership(long term, String reason) {
		if (this.yieldedTerm >= term) {
			return CompletableFuture.completedFuture(null);
		}
		DivisionInfo info = this.host.info();
		if (info == null || !info.isLeader() || info.getCurrentTerm() != term) {
			return CompletableFuture.completedFuture(null);
		}
		Optional<String> target = info.getRoleInfoProto()
			.getLeaderInfo()
			.getFollowerInfoList()
			.stream()
			.min(Comparator.comparingLong(ServerRpcProto::getLastRpcElapsedTimeMs))
			.map((follower) -> follower.getId().getId().toStringUtf8())
			.filter((id) -> !id.isEmpty());
		if (target.isEmpty()) {
			return CompletableFuture.completedFuture(null);
		}
		this.yieldedTerm = term;
		logger.info("Node {} hands Raft leadership of term {} over to {}: {}", this.settings.nodeId(), term,
				target.get(), reason);
		return this.host.transferLeadership(target.get(), this.settings.electionTimeout().toMillis())
			.handle((answer, ex) -> {
				if (ex != null || answer == null || !answer.isSuccess()) {
					logger.info("Node {}: handing Raft leadership over to {} failed: {}", this.settings.nodeId(),
							target.get(),
							(ex != null) ? ex.toString() : (answer != null) ? answer.getException() : "");
					// try again after a heartbeat interval, not at every poll
					this.timer.schedule(() -> this.yieldedTerm = Math.min(this.yieldedTerm, term - 1),
							this.settings.heartbeatInterval());
				}
				return null;
			});
	}

	/**
	 * Hands over leadership Ratis gave this node, once it is ready (committed an entry of its term).
	 * @param reason why this node does not want it, for the log
	 */
	void yieldReadyLeadership(String reason) {
		if (this.host.isClosed()) {
			return;
		}
		DivisionInfo info = this.host.info();
		if (info != null && info.isLeader() && info.isLeaderReady()) {
			yieldLeadership(info.getCurrentTerm(), reason);
		}
	}

}
