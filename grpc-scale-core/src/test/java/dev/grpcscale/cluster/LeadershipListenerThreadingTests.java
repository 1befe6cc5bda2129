package dev.grpcscale.cluster;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.cluster.LeadershipEvent.Type;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Listeners run off the election's thread, each on its own queue: a listener that blocks for longer than the
 * election timeout delays neither renewals, nor {@code isLeader()}, nor the revocation of a {@link LeaderTask},
 * and still gets its events in order. In-memory elections, heartbeat 50 ms, election timeout 500 ms.
 */
class LeadershipListenerThreadingTests {

	private static final Duration ELECTION_TIMEOUT = Duration.ofMillis(500);

	private final InMemoryLeaderGroup group = InMemoryLeaderGroup.create();

	private final CountDownLatch release = new CountDownLatch(1);

	private LeaderElection election;

	private LeaderTask task;

	@AfterEach
	void close() {
		this.release.countDown();
		if (this.task != null) {
			this.task.close();
		}
		if (this.election != null) {
			this.election.close();
		}
	}

	@Test
	void listenerBlockedLongerThanTheElectionTimeoutDelaysNeitherRenewalsNorTheRevocationOfALeaderTask()
			throws Exception {
		this.election = InMemoryLeaderElection.create(this.group, LeaderElectionSettings.builder()
			.nodeId("a")
			.heartbeatInterval(Duration.ofMillis(50))
			.electionTimeout(ELECTION_TIMEOUT)
			.build());
		// Registered first: under the old threading it held up every later listener and the election itself.
		List<LeadershipEvent> blockedEvents = new CopyOnWriteArrayList<>();
		CountDownLatch blocking = new CountDownLatch(1);
		this.election.addListener((event) -> {
			blockedEvents.add(event);
			if (event.type() == Type.GRANTED) {
				blocking.countDown();
				awaitRelease(this.release, Duration.ofSeconds(10));
			}
		});
		List<LeadershipEvent> recorded = new CopyOnWriteArrayList<>();
		List<String> threads = new CopyOnWriteArrayList<>();
		this.election.addListener((event) -> {
			recorded.add(event);
			threads.add(Thread.currentThread().getName());
		});
		AtomicLong notLeaderSince = new AtomicLong();
		AtomicLong stoppedAt = new AtomicLong();
		this.task = LeaderTask.start(this.election, "work", (token) -> {
			while (!Thread.currentThread().isInterrupted()) {
				if (!this.election.isLeader()) {
					notLeaderSince.compareAndSet(0, System.nanoTime());
				}
				LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
			}
			stoppedAt.set(System.nanoTime());
		});
		this.election.join();

		assertThat(blocking.await(5, TimeUnit.SECONDS)).isTrue();
		await().atMost(Duration.ofSeconds(2)).until(this.task::isRunning);
		// While the first listener is blocked, leadership is renewed for well over an election timeout.
		long blockedSince = System.nanoTime();
		await().atMost(Duration.ofSeconds(5))
			.until(() -> System.nanoTime() - blockedSince > 2 * ELECTION_TIMEOUT.toNanos()
					&& recorded.stream().filter((event) -> event.type() == Type.RENEWED).count() >= 10);
		assertThat(this.election.isLeader()).isTrue();
		assertThat(notLeaderSince.get()).isZero();
		assertThat(threads).allSatisfy((name) -> assertThat(name).startsWith("grpc-scale-cluster-events-a-"));

		// Revocation reaches the task at once, although the first listener is still blocked.
		long leaving = System.nanoTime();
		Thread leaver = new Thread(this.election::leave, "test-leaver");
		leaver.start();
		await().atMost(Duration.ofSeconds(5)).until(() -> stoppedAt.get() != 0);
		assertThat(Duration.ofNanos(stoppedAt.get() - leaving)).isLessThan(Duration.ofMillis(250));
		assertThat(this.election.isLeader()).isFalse();
		assertThat(recorded.get(recorded.size() - 1).type()).isEqualTo(Type.REVOKED);
		assertThat(leaver.isAlive()).as("leave() waits for the blocked listener, within the election timeout")
			.isTrue();

		// Once unblocked, the first listener gets every event, in order.
		this.release.countDown();
		leaver.join(TimeUnit.SECONDS.toMillis(5));
		await().atMost(Duration.ofSeconds(5)).until(() -> blockedEvents.size() == recorded.size());
		assertThat(blockedEvents).containsExactlyElementsOf(recorded);
		assertThat(blockedEvents.get(0).type()).isEqualTo(Type.GRANTED);
		assertThat(blockedEvents.subList(1, blockedEvents.size() - 1)).extracting(LeadershipEvent::type)
			.containsOnly(Type.RENEWED);
		assertThat(blockedEvents).extracting(LeadershipEvent::atNanos).isSorted();
	}

	@Test
	void leaveWaitsForListenersSoTheyHaveBeenToldWhenItReturns() {
		this.election = InMemoryLeaderElection.create(this.group, LeaderElectionSettings.builder()
			.nodeId("b")
			.heartbeatInterval(Duration.ofMillis(50))
			.electionTimeout(ELECTION_TIMEOUT)
			.build());
		List<LeadershipEvent> events = new CopyOnWriteArrayList<>();
		this.election.addListener((event) -> {
			LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
			events.add(event);
		});
		this.election.join();
		await().atMost(Duration.ofSeconds(5)).until(this.election::isLeader);
		this.election.leave();
		assertThat(events).isNotEmpty();
		assertThat(events.get(events.size() - 1).type()).isEqualTo(Type.REVOKED);
	}

	private static void awaitRelease(CountDownLatch latch, Duration atMost) {
		try {
			latch.await(atMost.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
