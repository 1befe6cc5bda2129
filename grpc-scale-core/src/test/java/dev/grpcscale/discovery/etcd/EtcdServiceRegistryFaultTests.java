package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;

import static dev.grpcscale.discovery.etcd.EtcdServiceRegistryTests.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link EtcdServiceRegistry} while etcd nodes are killed, restarted and compacted. */
class EtcdServiceRegistryFaultTests {

	private static final String NAMESPACE = "/faults";

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private EtcdServiceRegistry registry(List<String> endpoints, Duration leaseTtl) {
		return this.resources.track(EtcdServiceRegistry.builder()
			.endpoints(endpoints)
			.namespace(NAMESPACE)
			.leaseTtl(leaseTtl)
			.build());
	}

	private static ServiceInstance instance(String id, int port) {
		return new ServiceInstance("orders", id, "127.0.0.1", port, Map.of(), InstanceStatus.UP,
				Instant.parse("2025-01-01T00:00:00Z"));
	}

	private static String key(String id) {
		return NAMESPACE + "/services/orders/" + id;
	}

	private static String json(String id, int port) {
		return new String(EtcdInstanceCodec.encode(instance(id, port)), java.nio.charset.StandardCharsets.UTF_8);
	}

	/** After a member was killed, waits until the others have a leader, so test writes are not lost with it. */
	private static void awaitSurvivorsHealthy(EtcdCluster etcd) {
		etcd.awaitHealthy(1);
		etcd.awaitHealthy(2);
	}

	@Test
	void singleNodeKilledAndRestartedGetsRegistrationsBackAndTheWatchResumesWithoutEverServingNothing()
			throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.startSingle());
		EtcdServiceRegistry server = registry(etcd.clientEndpoints(), Duration.ofSeconds(2));
		EtcdServiceRegistry client = registry(etcd.clientEndpoints(), Duration.ofSeconds(2));
		server.register(instance("a", 9090));
		List<List<String>> seen = new CopyOnWriteArrayList<>();
		client.watch("orders", (instances) -> seen.add(ids(instances)));
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("a")));
		long leaseBefore;
		try (EtcdTestClients raw = new EtcdTestClients(etcd.clientEndpoints())) {
			leaseBefore = raw.get(key("a")).getLease();
		}

		etcd.kill(0);
		await().atMost(Duration.ofSeconds(10)).until(() -> !client.status().reachable() && !server.status().reachable());
		// down for longer than the lease TTL: the keep-alive gives up, the cache keeps serving
		await().atMost(Duration.ofSeconds(15)).until(() -> server.leaseGrants() == 1 && server.status().details()
			.get("leaseId").equals(""));
		assertThat(client.getInstances("orders")).extracting(ServiceInstance::instanceId).containsExactly("a");
		assertThat(client.status().details()).containsKey("lastError");

		etcd.restart(0);
		try (EtcdTestClients raw = new EtcdTestClients(etcd.clientEndpoints())) {
			// a change made right after the restart, before or after the watcher reconnected: never missed
			raw.put(key("b"), json("b", 9091));
			await().atMost(Duration.ofSeconds(15)).until(() -> seen.contains(List.of("a", "b")));
			await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
				KeyValue kv = raw.get(key("a"));
				assertThat(kv).isNotNull();
				assertThat(kv.getLease()).isNotEqualTo(leaseBefore);
				assertThat(raw.ttl(kv.getLease())).isPositive();
			});
			assertThat(server.leaseGrants()).isGreaterThanOrEqualTo(2);
			// the lease etcd restored on restart is gone (revoked or expired), and the instance stays
			await().atMost(Duration.ofSeconds(10)).until(() -> raw.ttl(leaseBefore) == -1);
			await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> raw.exists(key("a")));
			raw.delete(key("b"));
			await().atMost(Duration.ofSeconds(10)).until(() -> seen.get(seen.size() - 1).equals(List.of("a")));
		}
		assertThat(client.status().reachable()).isTrue();
		assertThat(server.status().reachable()).isTrue();
		assertThat(seen).as("the watcher never saw an empty list").noneMatch(List::isEmpty);
	}

	@Test
	void threeMemberClusterLosingAndRegainingAMemberKeepsWatchesAndRegistrations() throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.start(3));
		EtcdServiceRegistry server = registry(etcd.clientEndpoints(), Duration.ofSeconds(3));
		EtcdServiceRegistry client = registry(etcd.clientEndpoints(), Duration.ofSeconds(3));
		server.register(instance("a", 9090));
		List<List<String>> seen = new CopyOnWriteArrayList<>();
		client.watch("orders", (instances) -> seen.add(ids(instances)));
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("a")));

		for (int member = 0; member < 3; member++) {
			etcd.kill(member);
			String id = "m" + member;
			long start = System.nanoTime();
			server.register(instance(id, 9100 + member));
			System.out.println("register during failover of member " + member + " took "
					+ (System.nanoTime() - start) / 1_000_000 + " ms");
			await().atMost(Duration.ofSeconds(15)).until(() -> seen.get(seen.size() - 1).contains(id));
			etcd.restart(member);
		}
		try (EtcdTestClients raw = new EtcdTestClients(etcd.clientEndpoints())) {
			// registrations intact: still there after more than a TTL with every member back
			await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() -> raw.exists(key("a"))
					&& raw.exists(key("m0")) && raw.exists(key("m1")) && raw.exists(key("m2")));
		}
		server.deregister("orders", "m1");
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.get(seen.size() - 1).equals(List.of("a", "m0", "m2")));
		assertThat(client.getInstances("orders")).extracting(ServiceInstance::instanceId).containsExactly("a", "m0", "m2");
		assertThat(seen).noneMatch(List::isEmpty);
	}

	@Test
	void changesMadeWhileTheWatchersOnlyMemberIsDownAreSeenAfterItReturns() throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.start(3));
		EtcdServiceRegistry client = registry(List.of(etcd.clientEndpoint(0)), Duration.ofSeconds(3));
		try (EtcdTestClients others = new EtcdTestClients(List.of(etcd.clientEndpoint(1), etcd.clientEndpoint(2)))) {
			others.put(key("a"), json("a", 9090));
			others.put(key("b"), json("b", 9091));
			List<List<String>> seen = new CopyOnWriteArrayList<>();
			client.watch("orders", (instances) -> seen.add(ids(instances)));
			await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("a", "b")));

			etcd.kill(0);
			awaitSurvivorsHealthy(etcd);
			await().atMost(Duration.ofSeconds(10)).until(() -> !client.status().reachable());
			others.delete(key("a"));
			others.put(key("c"), json("c", 9092));
			assertThat(client.getInstances("orders")).extracting(ServiceInstance::instanceId).containsExactly("a", "b");

			etcd.restart(0);
			await().atMost(Duration.ofSeconds(15)).until(() -> seen.get(seen.size() - 1).equals(List.of("b", "c")));
			assertThat(seen).containsExactly(List.of("a", "b"), List.of("b", "c"));
			assertThat(client.status().reachable()).isTrue();
		}
	}

	@Test
	void compactionPastTheWatchersRevisionRebuildsACorrectCache() throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.start(3));
		EtcdServiceRegistry client = registry(List.of(etcd.clientEndpoint(0)), Duration.ofSeconds(3));
		try (EtcdTestClients others = new EtcdTestClients(List.of(etcd.clientEndpoint(1), etcd.clientEndpoint(2)))) {
			for (int i = 0; i < 10; i++) {
				others.put(key("i" + i), json("i" + i, 9000 + i));
			}
			List<List<String>> seen = new CopyOnWriteArrayList<>();
			client.watch("orders", (instances) -> seen.add(ids(instances)));
			await().atMost(Duration.ofSeconds(10)).until(() -> client.getInstances("orders").size() == 10);
			long watcherRevision = client.status().details().get("revision") instanceof Long r ? r : -1;
			int resyncsBefore = client.cacheResyncs();

			etcd.kill(0);
			awaitSurvivorsHealthy(etcd);
			// many revisions: puts, rewrites and deletes, then a compaction past everything the watcher saw
			long last = 0;
			for (int round = 0; round < 5; round++) {
				for (int i = 0; i < 10; i++) {
					last = others.putRevision(key("i" + i), json("i" + i, 9000 + i + round * 100));
				}
			}
			for (int i = 0; i < 10; i += 2) {
				others.delete(key("i" + i));
			}
			others.put(key("late"), json("late", 9999));
			last = others.putRevision(key("late"), json("late", 9998));
			others.client.getKVClient().compact(last).get(10, TimeUnit.SECONDS);
			assertThat(last).isGreaterThan(watcherRevision + 50);

			etcd.restart(0);
			List<ServiceInstance> expected = List.of(instance("i1", 9401), instance("i3", 9403), instance("i5", 9405),
					instance("i7", 9407), instance("i9", 9409), instance("late", 9998));
			await().atMost(Duration.ofSeconds(15)).until(() -> client.getInstances("orders").equals(expected));
			assertThat(seen.get(seen.size() - 1)).containsExactly("i1", "i3", "i5", "i7", "i9", "late");
			assertThat(seen).noneMatch(List::isEmpty);
			assertThat(client.cacheResyncs()).isGreaterThan(resyncsBefore);
			assertThat((Long) client.status().details().get("revision")).isGreaterThanOrEqualTo(last);

			// and the new watch works after the rebuild
			others.delete(key("late"));
			await().atMost(Duration.ofSeconds(10)).until(() -> seen.get(seen.size() - 1)
				.equals(List.of("i1", "i3", "i5", "i7", "i9")));
		}
	}

}
