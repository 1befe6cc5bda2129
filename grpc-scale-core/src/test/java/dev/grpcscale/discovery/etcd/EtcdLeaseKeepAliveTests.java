package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;

import static dev.grpcscale.discovery.etcd.EtcdServiceRegistryTests.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link EtcdServiceRegistry} keeps its one lease through transient keep-alive failures. */
class EtcdLeaseKeepAliveTests {

	private static final String NAMESPACE = "/keep-alive";

	private static final int RESTARTS = 20;

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	@Test
	void restartingEachMemberOfAThreeMemberClusterTwentyTimesKeepsTheOneLeaseAndTheInstanceNeverDisappears()
			throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.start(3));
		EtcdServiceRegistry server = this.resources.track(EtcdServiceRegistry.builder()
			.endpoints(etcd.clientEndpoints())
			.namespace(NAMESPACE)
			.leaseTtl(Duration.ofSeconds(5))
			.build());
		EtcdServiceRegistry client = this.resources.track(EtcdServiceRegistry.builder()
			.endpoints(etcd.clientEndpoints())
			.namespace(NAMESPACE)
			.build());
		EtcdTestClients raw = this.resources.track(new EtcdTestClients(etcd.clientEndpoints()));
		server.register(new ServiceInstance("orders", "a", "10.0.0.7", 9090, Map.of(), InstanceStatus.UP,
				Instant.parse("2025-01-01T00:00:00Z")));
		String key = NAMESPACE + "/services/orders/a";
		KeyValue registered = raw.get(key);
		List<List<String>> seen = new CopyOnWriteArrayList<>();
		client.watch("orders", (instances) -> seen.add(ids(instances)));
		List<WatchEvent.EventType> events = new CopyOnWriteArrayList<>();
		Watch.Watcher watcher = raw.client.getWatchClient()
			.watch(EtcdTestClients.bytes(key), WatchOption.builder().withRevision(registered.getModRevision() + 1).build(),
					(response) -> response.getEvents().forEach((event) -> events.add(event.getEventType())));
		this.resources.track(watcher::close);
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("a")));

		for (int restart = 0; restart < RESTARTS; restart++) {
			int member = restart % 3;
			etcd.kill(member);
			etcd.restart(member);
			// the keep-alive answers again (on whichever member) before the next member goes
			await().atMost(Duration.ofSeconds(15)).until(() -> server.status().reachable());
		}

		// one more TTL with every member up: the registration still stands, on its first lease
		await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(10)).until(() -> raw.exists(key));
		KeyValue now = raw.get(key);
		assertThat(server.leaseGrants()).as("leases granted").isEqualTo(1);
		assertThat(now.getLease()).isEqualTo(registered.getLease());
		assertThat(now.getCreateRevision()).as("never deleted and created again").isEqualTo(registered.getCreateRevision());
		assertThat(raw.ttl(registered.getLease())).isPositive();
		assertThat(events).as("events on the key").doesNotContain(WatchEvent.EventType.DELETE);
		assertThat(seen).as("what the watcher saw").allMatch((instances) -> instances.equals(List.of("a")));
	}

}
