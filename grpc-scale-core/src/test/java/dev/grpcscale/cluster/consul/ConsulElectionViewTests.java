package dev.grpcscale.cluster.consul;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.cluster.LeaderInfo;
import dev.grpcscale.cluster.MemberAnnouncement;
import dev.grpcscale.consul.ConsulClient;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ConsulElectionView}: members and leader as read, newest read first. */
class ConsulElectionViewTests {

	private static final String PREFIX = "grpc-scale/cluster/default/";

	@RegisterExtension
	final ConsulElectionParts parts = new ConsulElectionParts();

	private ConsulElectionView view;

	@BeforeEach
	void createParts() {
		this.view = this.parts.view("n1");
	}

	@Test
	void refreshReadsTheMembersAndTheLeaderThatSessionsHold() {
		ConsulSession n1 = this.parts.session("n1");
		ConsulSession n2 = this.parts.session("n2");
		put(PREFIX + "members/n1", n1, "{\"nodeId\":\"n1\",\"address\":\"a:1\",\"lastHeartbeat\":\"2026-01-01T00:00:00Z\"}");
		put(PREFIX + "members/n2", n2, "{\"nodeId\":\"n2\",\"address\":\"a:2\",\"lastHeartbeat\":\"2026-01-01T00:00:00Z\"}");
		put(PREFIX + "members/gone", n2, "{\"nodeId\":\"gone\",\"address\":\"a:3\",\"lastHeartbeat\":\"2026-01-01T00:00:00Z\"}");
		ConsulClient.await(this.parts.client.kv().release(PREFIX + "members/gone", n2.id()));
		put(PREFIX + "leader", n2, "{\"nodeId\":\"n2\",\"address\":\"a:2\"}");

		ConsulClient.await(this.view.refresh());

		assertThat(this.view.members()).extracting(MemberAnnouncement::nodeId).containsExactly("n1", "n2");
		LeaderInfo leader = this.view.leader();
		assertThat(leader).isNotNull();
		assertThat(leader.nodeId()).isEqualTo("n2");
		assertThat(leader.fencingToken()).isEqualTo(this.parts.agent.kvEntry(PREFIX + "leader").modifyIndex());
	}

	@Test
	void readOlderThanTheViewDoesNotReplaceIt() {
		ConsulSession n2 = this.parts.session("n2");
		put(PREFIX + "members/n2", n2, "{\"nodeId\":\"n2\",\"address\":\"a:2\",\"lastHeartbeat\":\"2026-01-01T00:00:00Z\"}");
		put(PREFIX + "leader", n2, "{\"nodeId\":\"n2\",\"address\":\"a:2\"}");
		// a blocking read answered at an index far ahead saw the key free
		this.view.leaderKeyRead(1_000_000, null);

		ConsulClient.await(this.view.refresh());

		assertThat(this.view.leader()).isNull();
		assertThat(this.view.members()).isEmpty();
	}

	@Test
	void leaderKeyReadRecordsTheLeaderAndWakesUpWhoeverWaitsForAChange() {
		CompletableFuture<Void> changed = this.view.leaderKeyChanged();
		assertThat(changed).isNotDone();

		this.view.leaderKeyRead(7, new ConsulClient.KvEntry(PREFIX + "leader", "{\"nodeId\":\"n3\",\"address\":\"a:3\"}",
				"session-3", 6));

		assertThat(changed).isDone();
		assertThat(this.view.leaderKeyChanged()).isNotSameAs(changed).isNotDone();
		assertThat(this.view.leader()).isEqualTo(new LeaderInfo("n3", "a:3", 6));

		this.view.leaderKeyRead(8, new ConsulClient.KvEntry(PREFIX + "leader", "{\"nodeId\":\"n3\",\"address\":\"a:3\"}",
				"", 6));
		assertThat(this.view.leader()).as("a key no session holds has no leader").isNull();
	}

	private void put(String key, ConsulSession session, String value) {
		assertThat(ConsulClient.await(
				this.parts.client.kv().acquire(key, session.id(), value.getBytes(StandardCharsets.UTF_8))))
			.isTrue();
	}

}
