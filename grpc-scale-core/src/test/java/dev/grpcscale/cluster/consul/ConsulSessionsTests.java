package dev.grpcscale.cluster.consul;

import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link ConsulSessions}: a node's sessions, its announcement on them, and their orderly end. */
class ConsulSessionsTests {

	private static final String LEADER_KEY = "grpc-scale/cluster/default/leader";

	private static final String MEMBER_KEY = "grpc-scale/cluster/default/members/n1";

	@RegisterExtension
	final ConsulElectionParts parts = new ConsulElectionParts();

	private ConsulLeaderLock lock;

	private ConsulSessions sessions;

	@BeforeEach
	void createParts() {
		this.lock = this.parts.lock("n1", this.parts.view("n1"));
		this.sessions = this.parts.sessions("n1", this.lock);
	}

	@Test
	void openedSessionHasTheTtlAndLockDelayNoChecksAndCarriesTheNodesAnnouncement() {
		ConsulSession session = ConsulClient.await(this.sessions.open());

		JsonNode request = this.parts.agent.sessionRequest(session.id());
		assertThat(request.path("Name").asString()).isEqualTo("grpc-scale grpc-scale/cluster/default/ n1");
		assertThat(request.path("TTL").asString()).isEqualTo("10s");
		assertThat(request.path("LockDelay").asString()).isEqualTo("3s");
		assertThat(request.path("Behavior").asString()).isEqualTo("delete");
		assertThat(request.path("Checks").isArray() && request.path("Checks").isEmpty()).isTrue();
		await().untilAsserted(() -> {
			FakeConsulAgent.KvEntry member = this.parts.agent.kvEntry(MEMBER_KEY);
			assertThat(member).isNotNull();
			assertThat(member.session()).isEqualTo(session.id());
			assertThat(member.value()).isEqualTo(
					"{\"nodeId\":\"n1\",\"address\":\"127.0.0.1:n1\",\"lastHeartbeat\":\"2026-01-01T00:00:00Z\"}");
		});
	}

	@Test
	void renewalAnnouncesAgainAndASessionConsulInvalidatedIsNotRenewed() {
		ConsulSession session = ConsulClient.await(this.sessions.open());
		await().until(() -> this.parts.agent.kvEntry(MEMBER_KEY) != null);
		long announced = this.parts.agent.kvEntry(MEMBER_KEY).modifyIndex();

		assertThat(ConsulClient.await(this.sessions.renew(session))).isTrue();
		await().until(() -> this.parts.agent.kvEntry(MEMBER_KEY).modifyIndex() > announced);

		this.parts.agent.expireSession(session.id());
		assertThat(ConsulClient.await(this.sessions.renew(session))).isFalse();
	}

	@Test
	void closeReleasesTheLeaderKeyAndTheAnnouncementThenDestroysTheSession() {
		ConsulSession session = ConsulClient.await(this.sessions.open());
		ConsulClient.await(this.lock.acquire(session));
		await().until(() -> this.parts.agent.kvEntry(MEMBER_KEY) != null);

		ConsulClient.await(this.sessions.close(session));

		assertThat(session.isEnded()).isTrue();
		assertThat(this.parts.agent.sessionIds()).doesNotContain(session.id());
		// released, not deleted by the session's Behavior=delete: the keys are there, held by nobody
		assertThat(this.parts.agent.kvEntry(LEADER_KEY).session()).isEmpty();
		assertThat(this.parts.agent.kvEntry(MEMBER_KEY).session()).isEmpty();
		List<String> ends = this.parts.agent.requests("PUT", "/v1/")
			.stream()
			.filter((request) -> request.query().containsKey("release") || request.path().startsWith("/v1/session/destroy/"))
			.map((request) -> request.path())
			.toList();
		assertThat(ends).containsExactly("/v1/kv/" + LEADER_KEY, "/v1/kv/" + MEMBER_KEY,
				"/v1/session/destroy/" + session.id());
	}

}
