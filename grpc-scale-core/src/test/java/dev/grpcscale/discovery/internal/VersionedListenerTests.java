package dev.grpcscale.discovery.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;

class VersionedListenerTests {

	private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

	/** Threads of their own: the common pool may have one thread on two cores, taken by the blocked listener. */
	private final ExecutorService threads = Executors.newFixedThreadPool(2);

	@AfterEach
	void stopThreads() {
		this.threads.shutdownNow();
	}

	@Test
	void aPublisherDoesNotWaitForTheListenerRunningOnAnotherThreadWhichThenGetsTheNewestList() throws Exception {
		BlockingListener listener = new BlockingListener();
		VersionedListener watcher = listener(listener);
		CompletableFuture<Void> blocked = listener.blockIn(watcher);
		try {
			CompletableFuture<Void> publishers = CompletableFuture.runAsync(() -> {
				watcher.deliver(2, instances(2));
				watcher.deliver(3, instances(3));
			}, this.threads);
			// before: the publishers waited on the listener's monitor until it returned
			publishers.get(10, TimeUnit.SECONDS);
			assertThat(listener.seen).containsExactly(1);
		}
		finally {
			listener.release.countDown();
		}
		blocked.get(10, TimeUnit.SECONDS);
		// the thread that ran the listener delivered the newest list; the one it replaced never came
		assertThat(listener.seen).containsExactly(1, 3);
	}

	@Test
	void aListPublishedFromTheListenerItselfComesAfterItReturnsNotNestedInside() {
		AtomicInteger depth = new AtomicInteger();
		List<Integer> depths = new ArrayList<>();
		List<Integer> seen = new ArrayList<>();
		VersionedListener[] self = new VersionedListener[1];
		self[0] = listener((list) -> {
			depths.add(depth.incrementAndGet());
			seen.add(list.size());
			if (list.size() == 1) {
				self[0].deliver(2, instances(2));
			}
			depth.decrementAndGet();
		});
		self[0].deliver(1, instances(1));
		assertThat(seen).containsExactly(1, 2);
		assertThat(depths).containsOnly(1);
	}

	@Test
	void olderAndEqualVersionsAreDroppedAndAThrowingListenerIsKept() {
		List<Integer> seen = new ArrayList<>();
		VersionedListener watcher = listener((list) -> {
			seen.add(list.size());
			if (list.size() == 2) {
				throw new IllegalStateException("listener bug");
			}
		});
		watcher.deliver(5, instances(2));
		watcher.deliver(4, instances(1));
		watcher.deliver(5, instances(3));
		watcher.deliver(6, instances(3));
		assertThat(seen).containsExactly(2, 3);
	}

	@Test
	void aListWaitingForTheRunningListenerIsDroppedWhenTheWatchIsCancelled() throws Exception {
		BlockingListener listener = new BlockingListener();
		VersionedListener watcher = listener(listener);
		CompletableFuture<Void> blocked = listener.blockIn(watcher);
		watcher.deliver(2, instances(2));
		watcher.cancel();
		listener.release.countDown();
		blocked.get(10, TimeUnit.SECONDS);
		assertThat(listener.seen).containsExactly(1);
	}

	/** Records the sizes of the lists it gets, and blocks in the first one until released. */
	private final class BlockingListener implements Consumer<List<ServiceInstance>> {

		final CountDownLatch running = new CountDownLatch(1);

		final CountDownLatch release = new CountDownLatch(1);

		final List<Integer> seen = new CopyOnWriteArrayList<>();

		@Override
		public void accept(List<ServiceInstance> instances) {
			this.seen.add(instances.size());
			if (this.running.getCount() > 0) {
				this.running.countDown();
				awaitQuietly(this.release);
			}
		}

		/** Delivers a first list on a thread of its own; returns once the listener is blocked in it. */
		CompletableFuture<Void> blockIn(VersionedListener watcher) throws InterruptedException {
			CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> watcher.deliver(1, instances(1)),
					VersionedListenerTests.this.threads);
			assertThat(this.running.await(10, TimeUnit.SECONDS)).isTrue();
			return blocked;
		}

	}

	private static VersionedListener listener(Consumer<List<ServiceInstance>> listener) {
		return new VersionedListener(LoggerFactory.getLogger(VersionedListenerTests.class), "svc", listener, false);
	}

	private static List<ServiceInstance> instances(int count) {
		List<ServiceInstance> instances = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			instances.add(new ServiceInstance("svc", "i" + i, "127.0.0.1", 9000 + i, Map.of(), InstanceStatus.UP, NOW));
		}
		return List.copyOf(instances);
	}

	private static void awaitQuietly(CountDownLatch latch) {
		try {
			latch.await(30, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
