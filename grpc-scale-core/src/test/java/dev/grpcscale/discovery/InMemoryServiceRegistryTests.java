package dev.grpcscale.discovery;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.grpcscale.Subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class InMemoryServiceRegistryTests {

	private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

	@Test
	void registeredInstancesAreDiscoveredInRegistrationOrder() {
		try (InMemoryServiceRegistry registry = InMemoryServiceRegistry.create()) {
			registry.register(instance("svc", "b", 2));
			registry.register(instance("svc", "a", 1));
			assertThat(registry.getInstances("svc")).extracting(ServiceInstance::instanceId).containsExactly("b", "a");
			assertThat(registry.getServiceNames()).containsExactly("svc");
			assertThat(registry.getInstances("other")).isEmpty();
		}
	}

	@Test
	void reRegistrationReplacesTheInstanceInPlace() {
		try (InMemoryServiceRegistry registry = InMemoryServiceRegistry.create()) {
			registry.register(instance("svc", "a", 1));
			registry.register(instance("svc", "b", 2));
			registry.register(instance("svc", "a", 3));
			assertThat(registry.getInstances("svc")).extracting(ServiceInstance::port).containsExactly(3, 2);
		}
	}

	@Test
	void downInstancesAreKnownButNotDiscovered() {
		try (InMemoryServiceRegistry registry = InMemoryServiceRegistry.create()) {
			registry.register(instance("svc", "a", 1).withStatus(InstanceStatus.DOWN));
			registry.register(instance("svc", "b", 2));
			assertThat(registry.getInstances("svc")).extracting(ServiceInstance::instanceId).containsExactly("b");
			assertThat(registry.getAllInstances("svc")).hasSize(2);
		}
	}

	@Test
	void watchDeliversCurrentListThenEveryChange() {
		try (InMemoryServiceRegistry registry = InMemoryServiceRegistry.create()) {
			registry.register(instance("svc", "a", 1));
			List<List<ServiceInstance>> seen = new ArrayList<>();
			Subscription subscription = registry.watch("svc", seen::add);
			registry.register(instance("svc", "b", 2));
			assertThat(registry.deregister("svc", "a")).isTrue();
			assertThat(registry.deregister("svc", "a")).isFalse();
			subscription.cancel();
			registry.register(instance("svc", "c", 3));
			assertThat(seen).extracting((list) -> list.stream().map(ServiceInstance::instanceId).toList())
				.containsExactly(List.of("a"), List.of("a", "b"), List.of("b"));
		}
	}

	@Test
	void throwingListenerDoesNotBreakRegistrationOrOtherListeners() {
		try (InMemoryServiceRegistry registry = InMemoryServiceRegistry.create()) {
			List<Integer> sizes = new ArrayList<>();
			registry.watch("svc", (list) -> {
				throw new IllegalStateException("listener bug");
			});
			registry.watch("svc", (list) -> sizes.add(list.size()));
			registry.register(instance("svc", "a", 1));
			assertThat(sizes).containsExactly(0, 1);
		}
	}

	@Test
	void concurrentChangesNeverDeliverAnOlderListAfterANewerOne() throws Exception {
		try (InMemoryServiceRegistry registry = InMemoryServiceRegistry.create()) {
			List<Integer> sizes = new CopyOnWriteArrayList<>();
			registry.watch("svc", (list) -> sizes.add(list.size()));
			int threads = 4;
			int perThread = 250;
			ExecutorService pool = Executors.newFixedThreadPool(threads);
			CountDownLatch start = new CountDownLatch(1);
			for (int t = 0; t < threads; t++) {
				int thread = t;
				pool.submit(() -> {
					start.await();
					for (int i = 0; i < perThread; i++) {
						registry.register(instance("svc", "t" + thread + "-" + i, 1 + i));
					}
					return null;
				});
			}
			start.countDown();
			pool.shutdown();
			assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
			assertThat(sizes).isSorted();
			assertThat(sizes).last().isEqualTo(threads * perThread);
			assertThat(registry.getInstances("svc")).hasSize(threads * perThread);
		}
	}

	@Test
	void aBlockedListenerHoldsUpNeitherOtherRegistrationsNorTheOtherListeners() throws Exception {
		ExecutorService threads = Executors.newFixedThreadPool(2);
		CountDownLatch blocked = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		try (InMemoryServiceRegistry registry = InMemoryServiceRegistry.create()) {
			List<List<String>> slow = new CopyOnWriteArrayList<>();
			List<List<String>> other = new CopyOnWriteArrayList<>();
			registry.watch("svc", (list) -> {
				slow.add(ids(list));
				if (list.size() == 1) {
					blocked.countDown();
					await(release);
				}
			});
			registry.watch("svc", (list) -> other.add(ids(list)));
			Future<?> first = threads.submit(() -> registry.register(instance("svc", "a", 1)));
			assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();

			// before: this registration waited for the blocked listener to return
			threads.submit(() -> registry.register(instance("svc", "b", 2))).get(10, TimeUnit.SECONDS);
			assertThat(other).last().isEqualTo(List.of("a", "b"));
			assertThat(slow).containsExactly(List.of(), List.of("a"));

			release.countDown();
			first.get(10, TimeUnit.SECONDS);
			assertThat(slow).containsExactly(List.of(), List.of("a"), List.of("a", "b"));
		}
		finally {
			release.countDown();
			threads.shutdownNow();
		}
	}

	@Test
	void instancesMoveInAndOutOfDiscoveryAsTheirStatusChangesInPlace() {
		try (InMemoryServiceRegistry registry = InMemoryServiceRegistry.create()) {
			List<List<String>> seen = new ArrayList<>();
			registry.watch("svc", (list) -> seen.add(ids(list)));
			registry.register(instance("svc", "a", 1));
			registry.register(instance("svc", "b", 2).withStatus(InstanceStatus.DOWN));
			registry.register(instance("svc", "c", 3));
			registry.register(instance("svc", "b", 2));
			registry.register(instance("svc", "a", 1).withStatus(InstanceStatus.DOWN));
			registry.deregister("svc", "a");
			registry.register(instance("svc", "a", 1));
			assertThat(seen).containsExactly(List.of(), List.of("a"), List.of("a"), List.of("a", "c"),
					List.of("a", "b", "c"), List.of("b", "c"), List.of("b", "c"), List.of("b", "c", "a"));
			assertThat(registry.getAllInstances("svc")).extracting(ServiceInstance::instanceId)
				.containsExactly("b", "c", "a");
		}
	}

	private static List<String> ids(List<ServiceInstance> instances) {
		return instances.stream().map(ServiceInstance::instanceId).toList();
	}

	private static void await(CountDownLatch latch) {
		try {
			latch.await(30, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Test
	void sharedNamespaceViewsSeeEachOtherAndClosingAViewDeregistersItsInstances() {
		String namespace = "ns-" + System.nanoTime();
		try (InMemoryServiceRegistry a = InMemoryServiceRegistry.shared(namespace);
				InMemoryServiceRegistry b = InMemoryServiceRegistry.shared(namespace);
				InMemoryServiceRegistry other = InMemoryServiceRegistry.shared(namespace + "-other")) {
			List<Integer> seenByA = new ArrayList<>();
			a.watch("svc", (list) -> seenByA.add(list.size()));
			b.register(instance("svc", "b1", 1));
			assertThat(a.getInstances("svc")).hasSize(1);
			assertThat(other.getInstances("svc")).isEmpty();
			b.close();
			assertThat(a.getInstances("svc")).isEmpty();
			assertThat(seenByA).containsExactly(0, 1, 0);
			assertThatIllegalStateException().isThrownBy(() -> b.register(instance("svc", "b2", 2)));
		}
	}

	@Test
	void lastViewClosedDropsTheSharedStore() {
		String namespace = "ns-" + System.nanoTime();
		InMemoryServiceRegistry first = InMemoryServiceRegistry.shared(namespace);
		first.register(instance("svc", "x", 1));
		first.close();
		try (InMemoryServiceRegistry again = InMemoryServiceRegistry.shared(namespace)) {
			assertThat(again.getServiceNames()).isEmpty();
		}
	}

	@Test
	void statusReportsProviderAndCounts() {
		try (InMemoryServiceRegistry registry = InMemoryServiceRegistry.create()) {
			registry.register(instance("a", "1", 1));
			registry.register(instance("a", "2", 2));
			registry.register(instance("b", "1", 3));
			DiscoveryStatus status = registry.status();
			assertThat(status.provider()).isEqualTo("memory");
			assertThat(status.reachable()).isTrue();
			assertThat(status.details()).containsEntry("services", 2).containsEntry("instances", 3);
		}
	}

	@Test
	void invalidInstancesAreRejectedWithFieldValueAndExpectation() {
		assertThatIllegalArgumentException().isThrownBy(() -> instance("bad/name", "a", 1))
			.withMessage("serviceName: 'bad/name' (expected: letters, digits, '.', '_' or '-', not empty)");
		assertThatIllegalArgumentException().isThrownBy(() -> instance("svc", "a", 70000))
			.withMessage("port: 70000 (expected: 1..65535)");
		assertThatIllegalArgumentException().isThrownBy(() -> ServiceDefinition.builder("svc").build())
			.withMessage("port: not set (expected: 1..65535)");
		assertThatIllegalArgumentException().isThrownBy(() -> InMemoryServiceRegistry.shared(" "))
			.withMessage("namespace: '' (expected: a non-blank name)");
	}

	static ServiceInstance instance(String service, String id, int port) {
		return new ServiceInstance(service, id, "127.0.0.1", port, Map.of(), InstanceStatus.UP, NOW);
	}

}
