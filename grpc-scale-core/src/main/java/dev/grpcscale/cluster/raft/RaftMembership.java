package dev.grpcscale.cluster.raft;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.cluster.ClusterMember;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeaderInfo;
import dev.grpcscale.cluster.MemberAnnouncement;
import dev.grpcscale.cluster.MemberStatus;

/**
 * The Raft group as this node knows it, read from its Ratis division and the last heartbeat entry: who was
 * heard from when, each node's Raft role, and the leader with its term. On the leader, its followers as Ratis
 * last heard from them; on a follower, the leader, and the other followers as of the leader's last heartbeat
 * entry. Never blocks; thread-safe.
 */
final class RaftMembership {

	private final RaftServerHost host;

	private final LeaderElectionSettings settings;

	private final List<RaftNode> nodes;

	RaftMembership(RaftServerHost host, LeaderElectionSettings settings, List<RaftNode> nodes) {
		this.host = host;
		this.settings = settings;
		this.nodes = nodes;
	}

	/** The members heard from, with when; none once the server is closed. */
	List<MemberAnnouncement> announcedMembers() {
		DivisionInfo info = this.host.info();
		if (info == null) {
			return List.of();
		}
		String selfId = this.settings.nodeId();
		Instant now = this.settings.clock().instant();
		List<MemberAnnouncement> members = new ArrayList<>();
		members.add(new MemberAnnouncement(selfId, this.settings.address(), now));
		Set<String> seen = new HashSet<>();
		seen.add(selfId);
		RoleInfoProto role = info.getRoleInfoProto();
		if (role.hasLeaderInfo()) {
			for (ServerRpcProto follower : role.getLeaderInfo().getFollowerInfoList()) {
				String id = follower.getId().getId().toStringUtf8();
				if (seen.add(id)) {
					members.add(new MemberAnnouncement(id, "",
							now.minusMillis(follower.getLastRpcElapsedTimeMs())));
				}
			}
			return members;
		}
		LeaderStateMachine.Heartbeat heartbeat = this.host.stateMachine().lastHeartbeat();
		if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()) {
			ServerRpcProto leader = role.getFollowerInfo().getLeaderInfo();
			String id = leader.getId().getId().toStringUtf8();
			if (!id.isEmpty() && seen.add(id)) {
				String address = (heartbeat != null && heartbeat.leaderId().equals(id)) ? heartbeat.address() : "";
				members.add(new MemberAnnouncement(id, address, now.minusMillis(leader.getLastRpcElapsedTimeMs())));
			}
		}
		if (heartbeat != null) {
			// The other followers, as the leader saw them at its last heartbeat entry.
			heartbeat.silenceMillis().forEach((id, millis) -> {
				if (seen.add(id)) {
					members.add(new MemberAnnouncement(id, "", heartbeat.at().minusMillis(millis)));
				}
			});
		}
		return members;
	}

	/** The leader Ratis knows of, with the current term as its token; {@code null} if none or closed. */
	@Nullable LeaderInfo observedLeader() {
		DivisionInfo info = this.host.info();
		if (info == null) {
			return null;
		}
		if (info.isLeader()) {
			return new LeaderInfo(this.settings.nodeId(), this.settings.address(), info.getCurrentTerm());
		}
		RaftPeerId leader = info.getLeaderId();
		if (leader == null) {
			return null;
		}
		String id = leader.toString();
		LeaderStateMachine.Heartbeat heartbeat = this.host.stateMachine().lastHeartbeat();
		String address = (heartbeat != null && heartbeat.leaderId().equals(id)) ? heartbeat.address() : "";
		return new LeaderInfo(id, address, info.getCurrentTerm());
	}

	/**
	 * The group's nodes with their Raft roles: {@code members} (as the engine reports them) each given its
	 * role where this node knows one and has heard from it, and every configured node not among them as
	 * {@code DEAD} with no role.
	 * @param members the members as the engine reports them
	 * @return the nodes, ordered by id
	 */
	List<ClusterMember> withRoles(List<ClusterMember> members) {
		Map<String, String> roles = roles();
		Map<String, ClusterMember> byId = new TreeMap<>();
		for (ClusterMember member : members) {
			byId.put(member.nodeId(), new ClusterMember(member.nodeId(), member.address(), member.lastHeartbeat(),
					member.status(), (member.lastHeartbeat() != null) ? roles.get(member.nodeId()) : null));
		}
		for (RaftNode node : this.nodes) {
			byId.putIfAbsent(node.nodeId(), new ClusterMember(node.nodeId(), "", null, MemberStatus.DEAD));
		}
		return List.copyOf(byId.values());
	}

	private Map<String, String> roles() {
		Map<String, String> roles = new LinkedHashMap<>();
		DivisionInfo info = this.host.info();
		if (info == null) {
			return roles;
		}
		roles.put(this.settings.nodeId(), info.getCurrentRole().name());
		RoleInfoProto role = info.getRoleInfoProto();
		if (role.hasLeaderInfo()) {
			for (ServerRpcProto follower : role.getLeaderInfo().getFollowerInfoList()) {
				roles.putIfAbsent(follower.getId().getId().toStringUtf8(), "FOLLOWER");
			}
			return roles;
		}
		RaftPeerId leader = info.getLeaderId();
		if (leader != null) {
			roles.putIfAbsent(leader.toString(), "LEADER");
			LeaderStateMachine.Heartbeat heartbeat = this.host.stateMachine().lastHeartbeat();
			if (heartbeat != null && heartbeat.leaderId().equals(leader.toString())) {
				heartbeat.silenceMillis().keySet().forEach((id) -> roles.putIfAbsent(id, "FOLLOWER"));
			}
		}
		return roles;
	}

}
