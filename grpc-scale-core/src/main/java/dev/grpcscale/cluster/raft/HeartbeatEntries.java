package dev.grpcscale.cluster.raft;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.server.DivisionInfo;

import dev.grpcscale.cluster.LeaderElectionSettings;

/**
 * How the leader confirms that a majority still follows it: it appends a heartbeat entry (its id, its
 * application address, its wall-clock time and how long ago it heard from each follower) and waits until a
 * majority stored it. Thread-safe.
 */
final class HeartbeatEntries {

	private final RaftServerHost host;

	private final LeaderElectionSettings settings;

	HeartbeatEntries(RaftServerHost host, LeaderElectionSettings settings) {
		this.host = host;
		this.settings = settings;
	}

	/**
	 * Appends a heartbeat entry in {@code term} and completes {@code true} once a majority stored it and this
	 * node still leads in that term.
	 * @param term the term this node leads in
	 * @return whether this node still leads in {@code term} once the entry was committed; failed if it was not
	 * committed or the server is closed
	 */
	CompletableFuture<Boolean> confirm(long term) {
		DivisionInfo info = this.host.info();
		if (info == null) {
			return CompletableFuture.failedFuture(new IllegalStateException("the Raft server is closed"));
		}
		Map<String, Long> silence = new LinkedHashMap<>();
		RoleInfoProto role = info.getRoleInfoProto();
		if (role.hasLeaderInfo()) {
			for (ServerRpcProto follower : role.getLeaderInfo().getFollowerInfoList()) {
				silence.put(follower.getId().getId().toStringUtf8(), follower.getLastRpcElapsedTimeMs());
			}
		}
		LeaderStateMachine.Heartbeat heartbeat = new LeaderStateMachine.Heartbeat(this.settings.nodeId(),
				this.settings.address(), this.settings.clock().instant(), silence, term);
		return this.host.append(heartbeat.encode(), this.settings.electionTimeout().toMillis()).thenApply((answer) -> {
			if (!answer.isSuccess()) {
				throw new IllegalStateException("heartbeat entry not committed: " + answer.getException());
			}
			DivisionInfo now = this.host.info();
			return now != null && now.isLeader() && now.getCurrentTerm() == term;
		});
	}

}
