package dev.grpcscale.cluster;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import dev.grpcscale.cluster.LeadershipEvent.Type;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The listeners' queues on a hand-run executor: each listener gets its events in the order they were fired,
 * one at a time, and a failing or slow listener keeps no other from its events.
 */
class LeadershipListenersTests {

	private final Deque<Runnable> tasks = new ArrayDeque<>();

	private final LeadershipListeners listeners = new LeadershipListeners(LeaderElectionSettings.builder()
		.nodeId("n1")
		.build(), this.tasks::add);

	@Test
	void eachListenerGetsItsEventsInFiringOrderOnOneTaskAtATime() {
		List<Type> first = new ArrayList<>();
		List<Type> second = new ArrayList<>();
		attach((event) -> first.add(event.type()), null);
		attach((event) -> second.add(event.type()), null);

		this.listeners.fire(event(Type.GRANTED, 1));
		this.listeners.fire(event(Type.RENEWED, 1));
		// One task per listener while its queue is being worked: the second event joined the queue.
		assertThat(this.tasks).hasSize(2);
		this.listeners.fire(event(Type.REVOKED, 1));
		runTasks();

		assertThat(first).containsExactly(Type.GRANTED, Type.RENEWED, Type.REVOKED);
		assertThat(second).containsExactly(Type.GRANTED, Type.RENEWED, Type.REVOKED);
	}

	@Test
	void throwingListenerStillGetsItsNextEventsAndOthersGetTheirs() {
		List<Type> seenByThrowing = new ArrayList<>();
		List<Type> seenByOther = new ArrayList<>();
		attach((event) -> {
			seenByThrowing.add(event.type());
			throw new IllegalStateException("boom");
		}, null);
		attach((event) -> seenByOther.add(event.type()), null);

		this.listeners.fire(event(Type.GRANTED, 3));
		this.listeners.fire(event(Type.REVOKED, 3));
		runTasks();

		assertThat(seenByThrowing).containsExactly(Type.GRANTED, Type.REVOKED);
		assertThat(seenByOther).containsExactly(Type.GRANTED, Type.REVOKED);
	}

	@Test
	void attachedQueueStartsWithTheCurrentGrantAndDetachedOneDeliversNothingMore() {
		List<LeadershipEvent> seen = new ArrayList<>();
		LeadershipListeners.ListenerQueue queue = attach(seen::add, event(Type.GRANTED, 5));
		this.listeners.fire(event(Type.RENEWED, 5));
		this.listeners.detach(queue);
		this.listeners.fire(event(Type.REVOKED, 5));
		runTasks();

		// Queued before the detach, but not delivered after it.
		assertThat(seen).isEmpty();
		LeadershipListeners.ListenerQueue detachedFirst = this.listeners.newQueue(seen::add);
		this.listeners.detach(detachedFirst);
		this.listeners.attach(detachedFirst, event(Type.GRANTED, 6));
		this.listeners.fire(event(Type.RENEWED, 6));
		runTasks();
		assertThat(seen).isEmpty();
	}

	@Test
	void queueIsIdleOnlyOnceItsEventsWereDeliveredAndWaitingForItEndsAtTheDeadline() {
		LeadershipListeners.ListenerQueue queue = attach((event) -> {
		}, null);
		this.listeners.fire(event(Type.GRANTED, 1));
		// Its task has not run yet: waiting gives up at the deadline.
		assertThat(queue.awaitIdle(System.nanoTime() + Duration.ofMillis(20).toNanos())).isFalse();
		runTasks();
		assertThat(queue.awaitIdle(System.nanoTime() + Duration.ofSeconds(30).toNanos())).isTrue();
	}

	@Test
	void executorThatRefusesTheTaskDropsTheQueuedEventsSoLeaveDoesNotWaitForThem() {
		Executor refusing = (task) -> {
			throw new RejectedExecutionException("shut down");
		};
		LeadershipListeners closed = new LeadershipListeners(LeaderElectionSettings.builder().nodeId("n1").build(),
				refusing);
		List<LeadershipEvent> seen = new ArrayList<>();
		LeadershipListeners.ListenerQueue queue = closed.newQueue(seen::add);
		closed.attach(queue, null);
		closed.fire(event(Type.REVOKED, 2));
		assertThat(queue.awaitIdle(System.nanoTime() + Duration.ofSeconds(30).toNanos())).isTrue();
		assertThat(seen).isEmpty();
	}

	@Test
	void deliveringThreadIsKnownWhileAListenerRuns() {
		List<Boolean> delivering = new ArrayList<>();
		attach((event) -> delivering.add(this.listeners.deliveringOnThisThread()), null);
		this.listeners.fire(event(Type.GRANTED, 1));
		runTasks();
		assertThat(delivering).containsExactly(true);
		assertThat(this.listeners.deliveringOnThisThread()).isFalse();
	}

	private LeadershipListeners.ListenerQueue attach(LeadershipListener listener, @Nullable LeadershipEvent first) {
		LeadershipListeners.ListenerQueue queue = this.listeners.newQueue(listener);
		this.listeners.attach(queue, first);
		return queue;
	}

	private void runTasks() {
		while (!this.tasks.isEmpty()) {
			this.tasks.poll().run();
		}
	}

	private static LeadershipEvent event(Type type, long token) {
		return new LeadershipEvent(type, "n1", token, 0, 0);
	}

}
