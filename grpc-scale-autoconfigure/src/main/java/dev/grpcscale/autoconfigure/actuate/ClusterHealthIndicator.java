package dev.grpcscale.autoconfigure.actuate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import dev.grpcscale.cluster.ClusterInfo;
import dev.grpcscale.cluster.ClusterMember;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderInfo;

/**
 * Reports the cluster as this node sees it: {@code UP} while a leader is known, whichever node it is (a
 * follower is as healthy as the leader), {@code UNKNOWN} while no leader is known (during an election, or
 * while the backend is unreachable). It never reports {@code DOWN}, so losing or not holding leadership
 * never takes the application out of service. Details: {@code provider}, {@code nodeId}, {@code leader},
 * {@code leaderAddress}, {@code isLeader}, {@code ownFencingToken} (this node's leadership token, {@code 0} when not leading),
 * {@code highestFencingTokenSeen} (monitoring only, never to fence with) and {@code members} (id, address, status, last
 * heartbeat).
 */
public class ClusterHealthIndicator extends AbstractHealthIndicator {

	private final LeaderElection election;

	/**
	 * Creates the indicator.
	 * @param election the election to report on
	 */
	public ClusterHealthIndicator(LeaderElection election) {
		super("Cluster health check failed");
		this.election = election;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		ClusterInfo info = this.election.clusterInfo();
		LeaderInfo leader = info.leader();
		builder.status((leader != null) ? Status.UP : Status.UNKNOWN);
		builder.withDetail("provider", info.provider());
		builder.withDetail("nodeId", info.nodeId());
		builder.withDetail("leader", (leader != null) ? leader.nodeId() : "");
		builder.withDetail("leaderAddress", (leader != null) ? leader.address() : "");
		builder.withDetail("isLeader", info.isLeader());
		builder.withDetail("ownFencingToken", info.ownFencingToken());
		builder.withDetail("highestFencingTokenSeen", info.highestFencingTokenSeen());
		builder.withDetail("members", members(info.nodes()));
	}

	private static List<Map<String, Object>> members(List<ClusterMember> members) {
		return members.stream().map((member) -> {
			Map<String, Object> details = new LinkedHashMap<>();
			details.put("nodeId", member.nodeId());
			details.put("address", member.address());
			details.put("status", member.status().name());
			details.put("lastHeartbeat", (member.lastHeartbeat() != null) ? member.lastHeartbeat().toString() : "");
			if (member.role() != null) {
				details.put("role", member.role());
			}
			return details;
		}).toList();
	}

}
