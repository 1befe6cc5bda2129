package dev.grpcscale.cluster;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class LeaderTaskTests {

	@Test
	void workRunsWithTheFencingTokenOnlyWhileLeaderAndIsInterruptedOnRevocation() throws Exception {
		InMemoryLeaderGroup group = InMemoryLeaderGroup.create();
		List<String> threads = new CopyOnWriteArrayList<>();
		List<Long> tokens = new CopyOnWriteArrayList<>();
		CountDownLatch interrupted = new CountDownLatch(1);
		try (LeaderElection election = InMemoryLeaderElection.create(group, settings("a"));
				LeaderTask task = LeaderTask.start(election, "reconciler", (token) -> {
					threads.add(Thread.currentThread().getName());
					tokens.add(token);
					try {
						new CountDownLatch(1).await(); // blocks until the task is interrupted
					}
					catch (InterruptedException ex) {
						interrupted.countDown();
					}
				})) {
			assertThat(task.isRunning()).isFalse();
			election.join();
			await().atMost(Duration.ofSeconds(5)).until(task::isRunning);
			assertThat(threads).containsExactly("grpc-scale-leader-task-reconciler");
			assertThat(tokens).containsExactly(election.leadership().orElseThrow().fencingToken());

			election.leave();
			assertThat(interrupted.await(5, TimeUnit.SECONDS)).isTrue();
			await().atMost(Duration.ofSeconds(5)).until(() -> !task.isRunning());
		}
	}

	@Test
	void taskStartedWhileAlreadyLeaderRunsAtOnceAndCloseStopsIt() throws Exception {
		InMemoryLeaderGroup group = InMemoryLeaderGroup.create();
		CountDownLatch interrupted = new CountDownLatch(1);
		try (LeaderElection election = InMemoryLeaderElection.create(group, settings("a"))) {
			election.join();
			await().atMost(Duration.ofSeconds(5)).until(election::isLeader);
			LeaderTask task = LeaderTask.start(election, "late", (token) -> {
				try {
					new CountDownLatch(1).await(); // blocks until the task is interrupted
				}
				catch (InterruptedException ex) {
					interrupted.countDown();
				}
			});
			await().atMost(Duration.ofSeconds(5)).until(task::isRunning);
			task.close();
			assertThat(interrupted.await(5, TimeUnit.SECONDS)).isTrue();
			assertThat(election.isLeader()).isTrue();
		}
	}

	private static LeaderElectionSettings settings(String nodeId) {
		return LeaderElectionSettings.builder()
			.nodeId(nodeId)
			.heartbeatInterval(Duration.ofMillis(50))
			.electionTimeout(Duration.ofMillis(500))
			.build();
	}

}
