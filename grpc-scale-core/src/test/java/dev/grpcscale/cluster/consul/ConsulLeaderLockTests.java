package dev.grpcscale.cluster.consul;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/** {@link ConsulLeaderLock}: the leader key, its fencing token, and campaigns that wait for it. */
class ConsulLeaderLockTests {

	private static final String LEADER_KEY = "grpc-scale/cluster/default/leader";

	@RegisterExtension
	final ConsulElectionParts parts = new ConsulElectionParts();

	@Test
	void acquiredKeyHoldsTheCandidacyAndItsModifyIndexIsTheFencingToken() {
		ConsulLeaderLock lock = this.parts.lock("n1", this.parts.view("n1"));
		ConsulSession session = this.parts.session("n1");

		long token = ConsulClient.await(lock.acquire(session));

		FakeConsulAgent.KvEntry key = this.parts.agent.kvEntry(LEADER_KEY);
		assertThat(token).isEqualTo(key.modifyIndex()).isNotEqualTo(key.lockIndex());
		assertThat(key.session()).isEqualTo(session.id());
		assertThat(key.value()).isEqualTo("{\"nodeId\":\"n1\",\"address\":\"127.0.0.1:n1\"}");
	}

	@Test
	void campaignOnAHeldKeyWaitsAndLeadsOnceTheHolderReleasesWithAHigherToken() {
		ConsulLeaderLock first = this.parts.lock("n1", this.parts.view("n1"));
		ConsulSession holder = this.parts.session("n1");
		long firstToken = ConsulClient.await(first.acquire(holder));
		ConsulLeaderLock second = this.parts.lock("n2", this.parts.view("n2"));
		ConsulSession waiting = this.parts.session("n2");

		CompletableFuture<Long> campaign = second.acquire(waiting);
		await().atMost(Duration.ofSeconds(10))
			.until(() -> this.parts.agent.requests("PUT", "/v1/kv/" + LEADER_KEY)
				.stream()
				.filter((request) -> waiting.id().equals(request.query().get("acquire")))
				.count() >= 2);
		assertThat(campaign).isNotDone();
		assertThat(ConsulClient.await(first.release(holder))).isTrue();

		long secondToken = await().atMost(Duration.ofSeconds(10)).until(() -> campaign.getNow(null), (t) -> t != null);
		assertThat(secondToken).isGreaterThan(firstToken);
		assertThat(this.parts.agent.kvEntry(LEADER_KEY).session()).isEqualTo(waiting.id());
	}

	@Test
	void campaignEndsWhenItsSessionEndsOrTheElectionCloses() {
		ConsulSession holder = this.parts.session("n1");
		ConsulClient.await(this.parts.lock("n1", this.parts.view("n1")).acquire(holder));
		ConsulLeaderLock lock = this.parts.lock("n2", this.parts.view("n2"));
		ConsulSession ended = this.parts.session("n2");
		ConsulSession other = this.parts.session("n2-b");

		CompletableFuture<Long> endedCampaign = lock.acquire(ended);
		ended.end();
		CompletableFuture<Long> closedCampaign = lock.acquire(other);
		this.parts.closed.set(true);

		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> endedCampaign.get(10, TimeUnit.SECONDS))
			.withMessageContaining(ended + " ended");
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> closedCampaign.get(10, TimeUnit.SECONDS))
			.withMessageContaining(other + " ended");
		assertThat(this.parts.agent.kvEntry(LEADER_KEY).session()).isEqualTo(holder.id());
	}

	@Test
	void releaseLetsTheKeyGoWithoutALockDelaySoAnotherSessionTakesItAtOnce() {
		ConsulLeaderLock lock = this.parts.lock("n1", this.parts.view("n1"));
		ConsulSession holder = this.parts.session("n1");
		ConsulClient.await(lock.acquire(holder));

		assertThat(ConsulClient.await(lock.release(holder))).isTrue();

		assertThat(this.parts.agent.kvEntry(LEADER_KEY).session()).isEmpty();
		ConsulSession next = this.parts.session("n2");
		assertThat(ConsulClient.await(this.parts.client.kv().acquire(LEADER_KEY, next.id(), new byte[0]))).isTrue();
	}

}
