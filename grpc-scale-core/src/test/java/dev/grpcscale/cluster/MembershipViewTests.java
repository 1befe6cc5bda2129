package dev.grpcscale.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How an election turns the backend's announcements into members and statuses. */
class MembershipViewTests {

	private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");

	@Test
	void memberIsAliveForTwoHeartbeatsThenSuspectUntilTheElectionTimeoutThenDead() {
		Duration heartbeat = Duration.ofSeconds(1);
		Duration timeout = Duration.ofSeconds(5);
		assertThat(statusAtAge(Duration.ofSeconds(2), heartbeat, timeout)).isEqualTo(MemberStatus.ALIVE);
		assertThat(statusAtAge(Duration.ofMillis(2001), heartbeat, timeout)).isEqualTo(MemberStatus.SUSPECT);
		assertThat(statusAtAge(Duration.ofSeconds(5), heartbeat, timeout)).isEqualTo(MemberStatus.SUSPECT);
		assertThat(statusAtAge(Duration.ofMillis(5001), heartbeat, timeout)).isEqualTo(MemberStatus.DEAD);
	}

	@Test
	void aliveWindowNeverOutlastsTheElectionTimeout() {
		Duration heartbeat = Duration.ofSeconds(4);
		Duration timeout = Duration.ofSeconds(5);
		assertThat(statusAtAge(Duration.ofSeconds(5), heartbeat, timeout)).isEqualTo(MemberStatus.ALIVE);
		assertThat(statusAtAge(Duration.ofMillis(5001), heartbeat, timeout)).isEqualTo(MemberStatus.DEAD);
	}

	@Test
	void newestAnnouncementOfANodeCountsAndExpectedNodesNeverHeardFromAreDead() {
		LeaderElectionSettings settings = LeaderElectionSettings.builder()
			.nodeId("b")
			.heartbeatInterval(Duration.ofSeconds(1))
			.electionTimeout(Duration.ofSeconds(5))
			.nodes(List.of("a", "c"))
			.build();
		List<MemberAnnouncement> announcements = List.of(
				new MemberAnnouncement("b", "10.0.0.2:9090", NOW.minusSeconds(1)),
				new MemberAnnouncement("a", "10.0.0.1:9090", NOW.minusSeconds(10)),
				new MemberAnnouncement("a", "10.0.0.9:9090", NOW.minusSeconds(3)),
				new MemberAnnouncement("a", "10.0.0.8:9090", NOW.minusSeconds(8)));

		assertThat(MembershipView.members(NOW, announcements, settings)).containsExactly(
				new ClusterMember("a", "10.0.0.9:9090", NOW.minusSeconds(3), MemberStatus.SUSPECT),
				new ClusterMember("b", "10.0.0.2:9090", NOW.minusSeconds(1), MemberStatus.ALIVE),
				new ClusterMember("c", "", null, MemberStatus.DEAD));
	}

	private static MemberStatus statusAtAge(Duration age, Duration heartbeat, Duration timeout) {
		return MembershipView.status(NOW, NOW.minus(age), heartbeat, timeout);
	}

}
