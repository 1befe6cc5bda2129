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
 * and still gets its events in order. In-memory elections, heartbeat 50 ms, election timeout 3 s.
 */
class LeadershipListenerThreadingTests {

	/**
	 * A renewal confirmed keeps the node leader for this less the safety margin; a renewal is due every 50 ms,
	 * so only a stall of the election's thread of ~2.7 s (not the blocked listener, which is the point) could
	 * end leadership here. It also bounds how long {@code leave()} waits for listeners.
	 */
	private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(3);

	/** How long a blocked listener waits for the test to release it: longer than the test holds it. */
	private static final Duration LISTENER_BLOCKED_AT_MOST = Duration.ofSeconds(60);

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
				awaitRelease(this.release, LISTENER_BLOCKED_AT_MOST);
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
		AtomicLong leftAt = new AtomicLong();
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

		assertThat(blocking.await(30, TimeUnit.SECONDS)).isTrue();
		await().atMost(Duration.ofSeconds(30)).until(this.task::isRunning);
		// While the first listener is blocked, leadership is renewed for well over an election timeout.
		long blockedSince = System.nanoTime();
		await().atMost(Duration.ofSeconds(30))
			.until(() -> System.nanoTime() - blockedSince > 2 * ELECTION_TIMEOUT.toNanos()
					&& recorded.stream().filter((event) -> event.type() == Type.RENEWED).count() >= 10);
		assertThat(this.election.isLeader()).isTrue();
		assertThat(notLeaderSince.get()).isZero();
		assertThat(threads).allSatisfy((name) -> assertThat(name).startsWith("grpc-scale-cluster-events-a-"));

		// Revocation reaches the task although the first listener is still blocked (it is released only below),
		// and at once: before leave() returns, which waits for the blocked listener for an election timeout.
		long leaving = System.nanoTime();
		Thread leaver = new Thread(() -> {
			this.election.leave();
			leftAt.set(System.nanoTime());
		}, "test-leaver");
		leaver.start();
		await().atMost(Duration.ofSeconds(30)).until(() -> stoppedAt.get() != 0);
		assertThat(this.election.isLeader()).isFalse();
		assertThat(recorded.get(recorded.size() - 1).type()).isEqualTo(Type.REVOKED);

		// Once unblocked, the first listener gets every event, in order.
		long releasedAt = System.nanoTime();
		this.release.countDown();
		leaver.join(TimeUnit.SECONDS.toMillis(30));
		assertThat(leftAt.get()).as("leave() returned").isNotZero();
		assertThat(stoppedAt.get() - leftAt.get()).as("the task stopped before leave() returned").isNegative();
		assertThat(leftAt.get() - Math.min(releasedAt, leaving + ELECTION_TIMEOUT.toNanos()))
			.as("leave() waited for the blocked listener, within the election timeout")
			.isNotNegative();
		await().atMost(Duration.ofSeconds(30)).until(() -> blockedEvents.size() == recorded.size());
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
		await().atMost(Duration.ofSeconds(30)).until(this.election::isLeader);
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
