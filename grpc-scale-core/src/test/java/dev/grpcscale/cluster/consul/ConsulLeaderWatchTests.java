package dev.grpcscale.cluster.consul;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link ConsulLeaderWatch}: the blocking reads of the leader key. */
class ConsulLeaderWatchTests {

	private static final String LEADER_KEY = "grpc-scale/cluster/default/leader";

	@RegisterExtension
	final ConsulElectionParts parts = new ConsulElectionParts();

	private ConsulElectionView view;

	private ConsulLeaderWatch watch;

	@BeforeEach
	void createParts() {
		this.view = this.parts.view("n1");
		this.watch = this.parts.watch("n1", this.view);
	}

	@Test
	void newLeaderReachesTheViewThroughABlockingReadOnTheLastIndex() {
		this.watch.start();
		await().atMost(Duration.ofSeconds(10)).until(() -> blockingReads().size() >= 2);

		ConsulClient.await(this.parts.lock("n2", this.parts.view("n2")).acquire(this.parts.session("n2")));

		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(this.view.leader()).isNotNull()
				.satisfies((leader) -> assertThat(leader.nodeId()).isEqualTo("n2")));
		List<FakeConsulAgent.Request> reads = blockingReads();
		assertThat(reads.get(0).query()).containsEntry("index", "0");
		assertThat(reads.get(1).query().get("index")).isNotEqualTo("0");
		assertThat(reads.get(1).query()).containsEntry("wait", "10s");
		this.watch.stop();
	}

	@Test
	void stoppedWatchSendsNoMoreReadsAndDropsTheAnswerInFlight() {
		this.watch.start();
		await().atMost(Duration.ofSeconds(10)).until(() -> blockingReads().size() >= 2);

		this.watch.stop();
		int sent = blockingReads().size();
		ConsulClient.await(this.parts.lock("n2", this.parts.view("n2")).acquire(this.parts.session("n2")));

		await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> blockingReads().size() == sent);
		assertThat(this.view.leader()).isNull();
	}

	private List<FakeConsulAgent.Request> blockingReads() {
		return this.parts.agent.requests("GET", "/v1/kv/" + LEADER_KEY)
			.stream()
			.filter((request) -> request.query().containsKey("index"))
			.toList();
	}

}
