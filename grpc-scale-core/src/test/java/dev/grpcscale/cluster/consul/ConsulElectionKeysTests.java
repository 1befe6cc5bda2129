package dev.grpcscale.cluster.consul;

import org.junit.jupiter.api.Test;

import dev.grpcscale.cluster.LeaderElectionSettings;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ConsulElectionKeys}: the key layout of a node in an election. */
class ConsulElectionKeysTests {

	@Test
	void keysLieUnderTheNamespaceWithoutItsLeadingAndTrailingSlashes() {
		ConsulElectionKeys keys = ConsulElectionKeys
			.of(LeaderElectionSettings.builder().nodeId("n1").namespace("//team/apps//").electionName("jobs").build());

		assertThat(keys.prefix()).isEqualTo("team/apps/cluster/jobs/");
		assertThat(keys.leader()).isEqualTo("team/apps/cluster/jobs/leader");
		assertThat(keys.membersPrefix()).isEqualTo("team/apps/cluster/jobs/members/");
		assertThat(keys.member()).isEqualTo("team/apps/cluster/jobs/members/n1");
	}

	@Test
	void defaultNamespaceAndElectionNameMakeTheDocumentedPrefix() {
		ConsulElectionKeys keys = ConsulElectionKeys.of(LeaderElectionSettings.builder().nodeId("n1").build());

		assertThat(keys.prefix()).isEqualTo("grpc-scale/cluster/default/");
	}

	@Test
	void onlyKeysUnderMembersAreMemberAnnouncements() {
		ConsulElectionKeys keys = ConsulElectionKeys.of(LeaderElectionSettings.builder().nodeId("n1").build());

		assertThat(keys.isMember("grpc-scale/cluster/default/members/n2")).isTrue();
		assertThat(keys.isMember("grpc-scale/cluster/default/leader")).isFalse();
		assertThat(keys.isMember("grpc-scale/cluster/other/members/n2")).isFalse();
	}

}
