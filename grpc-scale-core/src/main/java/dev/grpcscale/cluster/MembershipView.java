package dev.grpcscale.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The members an {@link AbstractLeaderElection} reports: one per node id, from the newest of its announcements,
 * plus every expected node of the settings that did not announce itself, as {@link MemberStatus#DEAD}. A member
 * is {@code ALIVE} while its last heartbeat is at most two heartbeat intervals old (at most the election
 * timeout), {@code SUSPECT} until the election timeout, then {@code DEAD}.
 */
final class MembershipView {

	private MembershipView() {
	}

	/**
	 * The members, ordered by node id.
	 * @param now the wall-clock time heartbeats are aged against
	 * @param announcements the announcements the backend holds
	 * @param settings the election's settings: heartbeat interval, election timeout and expected nodes
	 * @return the members
	 */
	static List<ClusterMember> members(Instant now, List<MemberAnnouncement> announcements,
			LeaderElectionSettings settings) {
		Map<String, ClusterMember> byId = new TreeMap<>();
		for (MemberAnnouncement announcement : announcements) {
			ClusterMember known = byId.get(announcement.nodeId());
			Instant lastHeartbeat = announcement.lastHeartbeat();
			if (known == null || (known.lastHeartbeat() != null && known.lastHeartbeat().isBefore(lastHeartbeat))) {
				byId.put(announcement.nodeId(), new ClusterMember(announcement.nodeId(), announcement.address(),
						lastHeartbeat, status(now, lastHeartbeat, settings.heartbeatInterval(),
								settings.electionTimeout())));
			}
		}
		for (String expected : settings.nodes()) {
			byId.putIfAbsent(expected, new ClusterMember(expected, "", null, MemberStatus.DEAD));
		}
		return List.copyOf(byId.values());
	}

	static MemberStatus status(Instant now, Instant lastHeartbeat, Duration heartbeat, Duration timeout) {
		Duration age = Duration.between(lastHeartbeat, now);
		Duration alive = heartbeat.multipliedBy(2);
		if (alive.compareTo(timeout) > 0) {
			alive = timeout;
		}
		if (age.compareTo(alive) <= 0) {
			return MemberStatus.ALIVE;
		}
		return (age.compareTo(timeout) <= 0) ? MemberStatus.SUSPECT : MemberStatus.DEAD;
	}

}
