package dev.grpcscale.test.etcd;

import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MemberStatusTests {

	private static final String FOLLOWER = "{\"header\":{\"cluster_id\":\"14841639068965178418\","
			+ "\"member_id\":\"10276657743932975437\",\"revision\":\"1\",\"raft_term\":\"2\"},"
			+ "\"version\":\"3.5.16\",\"dbSize\":\"20480\",\"leader\":\"3016006592387658893\",\"raftIndex\":\"4\"}";

	@Test
	void statusNamesTheMemberAndTheLeaderItFollows() {
		MemberStatus status = MemberStatus.parse(FOLLOWER);
		assertThat(status).isEqualTo(new MemberStatus("10276657743932975437", "3016006592387658893"));
	}

	@Test
	void memberIdAboveTheSignedRangeIsWrittenAsEtcdsUnsignedHex() {
		assertThat(MemberStatus.parse(FOLLOWER).memberIdHex()).isEqualTo("8e9e05c52164694d");
	}

	@Test
	void statusWithoutALeaderNamesNone() {
		MemberStatus status = MemberStatus.parse("{\"header\":{\"member_id\":\"7\"},\"raftIndex\":\"4\"}");
		assertThat(status).isEqualTo(new MemberStatus("7", null));
	}

	@Test
	void noAnswerOrAnAnswerWithoutMemberIdIsNoStatus() {
		assertThat(MemberStatus.parse(null)).isNull();
		assertThat(MemberStatus.parse("{\"error\":\"etcdserver: request timed out\"}")).isNull();
	}

	@Test
	void leaderIsTheMemberWhoseIdTheOthersName() {
		TreeMap<Integer, MemberStatus> statuses = new TreeMap<>();
		statuses.put(0, new MemberStatus("11", "22"));
		statuses.put(1, new MemberStatus("22", "22"));
		statuses.put(2, new MemberStatus("33", "22"));
		assertThat(MemberStatus.leaderIndex(statuses)).isEqualTo(1);
	}

	@Test
	void memberThatNamesNoLeaderDoesNotHideTheLeaderTheOthersName() {
		TreeMap<Integer, MemberStatus> statuses = new TreeMap<>();
		statuses.put(0, new MemberStatus("11", "22"));
		statuses.put(1, new MemberStatus("22", "22"));
		statuses.put(2, new MemberStatus("33", null));
		assertThat(MemberStatus.leaderIndex(statuses)).isEqualTo(1);
	}

	@Test
	void leaderThatDidNotAnswerIsNoLeader() {
		TreeMap<Integer, MemberStatus> statuses = new TreeMap<>();
		statuses.put(0, new MemberStatus("11", "22"));
		statuses.put(2, new MemberStatus("33", "22"));
		assertThat(MemberStatus.leaderIndex(statuses)).isEqualTo(-1);
	}

	@Test
	void membersNamingNoLeaderGiveNoLeader() {
		TreeMap<Integer, MemberStatus> statuses = new TreeMap<>();
		statuses.put(0, new MemberStatus("11", null));
		statuses.put(1, new MemberStatus("22", null));
		assertThat(MemberStatus.leaderIndex(statuses)).isEqualTo(-1);
		assertThat(MemberStatus.leaderIndex(new TreeMap<>())).isEqualTo(-1);
	}

}
