package dev.grpcscale.discovery.etcd;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;

import static dev.grpcscale.discovery.etcd.EtcdServiceRegistryTests.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link EtcdServiceRegistry}'s watch when the etcd member it talks to is cut off from its peers. */
class EtcdIsolatedMemberTests {

	private static final String NAMESPACE = "/isolated";

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	@Test
	void aWatchOnAMemberWithoutLeaderIsReportedUnreachableKeepsServingAndCatchesUpWhenTheClusterHeals()
			throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.start(3));
		EtcdTestClients others = this.resources.track(new EtcdTestClients(List.of(etcd.clientEndpoint(1), etcd.clientEndpoint(2))));
		others.put(key("a"), json("a", 9090));
		EtcdServiceRegistry client = this.resources.track(EtcdServiceRegistry.builder()
			.endpoints(etcd.clientEndpoint(0))
			.namespace(NAMESPACE)
			.requestTimeout(Duration.ofSeconds(2))
			.build());
		List<List<String>> seen = new CopyOnWriteArrayList<>();
		client.watch("orders", (instances) -> seen.add(ids(instances)));
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("a")));
		assertThat(client.status().reachable()).isTrue();

		// member 0 keeps running but loses its peers, hence its leader
		etcd.pause(1);
		etcd.pause(2);
		try {
			await().atMost(Duration.ofSeconds(30)).until(() -> !client.status().reachable());
			assertThat(client.status().details()).containsKey("lastError");
			assertThat(client.getInstances("orders")).extracting(ServiceInstance::instanceId).containsExactly("a");
		}
		finally {
			etcd.resume(1);
			etcd.resume(2);
		}

		// a write the majority takes once it is back reaches the watcher through member 0
		etcd.awaitHealthy(1);
		etcd.awaitHealthy(2);
		others.put(key("b"), json("b", 9091));
		await().atMost(Duration.ofSeconds(30)).until(() -> seen.contains(List.of("a", "b")));
		await().atMost(Duration.ofSeconds(10)).until(() -> client.status().reachable());
		assertThat(seen).noneMatch(List::isEmpty);
	}

	private static String key(String id) {
		return NAMESPACE + "/services/orders/" + id;
	}

	private static String json(String id, int port) {
		ServiceInstance instance = new ServiceInstance("orders", id, "127.0.0.1", port, Map.of(), InstanceStatus.UP,
				Instant.parse("2025-01-01T00:00:00Z"));
		return new String(EtcdInstanceCodec.encode(instance), StandardCharsets.UTF_8);
	}

}
