package dev.grpcscale.autoconfigure.cluster;

import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.cluster.InMemoryLeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class LeaderElectionLifecycleTests {

	private final InMemoryLeaderElection election = InMemoryLeaderElection
		.shared(LeaderElectionSettings.builder().nodeId("n1").electionName("e-" + UUID.randomUUID()).build());

	@AfterEach
	void close() {
		this.election.close();
	}

	@Test
	void joinsAtStartUnlessAwaitingTheGrpcServer() {
		LeaderElectionLifecycle lifecycle = new LeaderElectionLifecycle(this.election);
		lifecycle.start();
		assertThat(lifecycle.isRunning()).isTrue();
		assertThat(this.election.members()).hasSize(1);
	}

	@Test
	void awaitingLifecycleJoinsWhenToldWhileRunningOnly() {
		LeaderElectionLifecycle lifecycle = new LeaderElectionLifecycle(this.election, true);
		lifecycle.joinIfAwaiting();
		assertThat(this.election.members()).isEmpty();
		lifecycle.start();
		assertThat(lifecycle.isRunning()).isTrue();
		assertThat(this.election.members()).isEmpty();

		lifecycle.joinIfAwaiting();
		assertThat(this.election.members()).hasSize(1);

		lifecycle.stop();
		// the session may still be opening when the node leaves: it is then closed as soon as it opens
		await().atMost(Duration.ofSeconds(5)).until(() -> this.election.members().isEmpty());
		lifecycle.joinIfAwaiting();
		assertThat(this.election.members()).isEmpty();
	}

}
