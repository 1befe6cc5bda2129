package dev.grpcscale.cluster.raft;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;

import dev.grpcscale.cluster.LeaderElectionSettings;

import static org.assertj.core.api.Assertions.assertThat;

/** How the election's settings become Ratis's, without starting a server. */
class RaftServerHostTests {

	@Test
	void ratisElectionTimeoutIsDrawnBetweenOneAndTwoElectionTimeoutsWithPreVoteOn() {
		LeaderElectionSettings settings = LeaderElectionSettings.builder()
			.nodeId("n1")
			.heartbeatInterval(Duration.ofSeconds(1))
			.electionTimeout(Duration.ofSeconds(3))
			.build();
		RaftProperties properties = RaftServerHost.properties(settings, new RaftNode("n1", "127.0.0.1", 9871),
				Path.of("/var/lib/raft/n1"), "0.0.0.0");

		assertThat(RaftServerConfigKeys.Rpc.timeoutMin(properties).toLong(TimeUnit.MILLISECONDS)).isEqualTo(3000);
		assertThat(RaftServerConfigKeys.Rpc.timeoutMax(properties).toLong(TimeUnit.MILLISECONDS)).isEqualTo(6000);
		assertThat(RaftServerConfigKeys.Rpc.requestTimeout(properties).toLong(TimeUnit.MILLISECONDS)).isEqualTo(3000);
		assertThat(RaftServerConfigKeys.LeaderElection.preVote(properties)).isTrue();
		assertThat(RaftServerConfigKeys.LeaderElection.leaderStepDownWaitTime(properties).toLong(TimeUnit.MILLISECONDS))
			.isEqualTo(3000);
		assertThat(GrpcConfigKeys.Server.host(properties)).isEqualTo("0.0.0.0");
		assertThat(GrpcConfigKeys.Server.port(properties)).isEqualTo(9871);
		assertThat(RaftServerConfigKeys.storageDir(properties)).containsExactly(Path.of("/var/lib/raft/n1").toFile());
	}

	@Test
	void snapshotsEveryThousandAndTwentyFourEntriesLetTheLogBePurged() {
		RaftProperties properties = RaftServerHost.properties(LeaderElectionSettings.builder().nodeId("n1").build(),
				new RaftNode("n1", "127.0.0.1", 9871), Path.of("raft"), "127.0.0.1");

		assertThat(RaftServerConfigKeys.Snapshot.autoTriggerEnabled(properties)).isTrue();
		assertThat(RaftServerConfigKeys.Snapshot.autoTriggerThreshold(properties)).isEqualTo(1024);
		assertThat(RaftServerConfigKeys.Snapshot.retentionFileNum(properties)).isEqualTo(2);
		assertThat(RaftServerConfigKeys.Log.purgeUptoSnapshotIndex(properties)).isTrue();
	}

	@Test
	void groupIdIsTheSameOnEveryNodeOfAnElectionAndDiffersBetweenElections() {
		LeaderElectionSettings one = LeaderElectionSettings.builder().nodeId("n1").electionName("orders").build();
		LeaderElectionSettings other = LeaderElectionSettings.builder().nodeId("n2").electionName("orders").build();
		LeaderElectionSettings elsewhere = LeaderElectionSettings.builder()
			.nodeId("n1")
			.namespace("billing")
			.electionName("orders")
			.build();

		assertThat(RaftServerHost.groupId(one)).isEqualTo(RaftServerHost.groupId(other));
		assertThat(RaftServerHost.groupId(one)).isNotEqualTo(RaftServerHost.groupId(elsewhere));
		assertThat(RaftServerHost.groupId(one)).isNotEqualTo(RaftServerHost
			.groupId(LeaderElectionSettings.builder().nodeId("n1").electionName("payments").build()));
	}

}
