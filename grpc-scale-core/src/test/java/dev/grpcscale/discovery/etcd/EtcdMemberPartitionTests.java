package dev.grpcscale.discovery.etcd;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.etcd.EtcdLeaderElection;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;
import dev.grpcscale.test.net.TcpProxy;

import static dev.grpcscale.discovery.etcd.EtcdServiceRegistryTests.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A grpc-scale client (discovery cache, a registration, a leader election, on one jetcd client that knows all
 * three members) whose streams sit on member 0 when member 0 is cut off from its two peers, which keep their
 * quorum ({@link EtcdCluster#isolate(int)}). Client connections go through {@link TcpProxy}s so that, while
 * the streams open, only member 0 can be reached.
 */
class EtcdMemberPartitionTests {

	private static final String NAMESPACE = "/partition";

	private static final Duration LEASE_TTL = Duration.ofSeconds(5);

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	@Test
	void clientOnAnIsolatedMemberMovesToTheMajorityAndSeesItsChangesWhileTheMemberStaysCutOff() throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.startPartitionable(3));
		List<TcpProxy> proxies = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			proxies.add(this.resources.track(TcpProxy.start("127.0.0.1", URI.create(etcd.clientEndpoint(i)).getPort())));
		}
		// only member 0 is reachable while the client opens its streams (watch, keep-alive), so they sit on it
		proxies.get(1).drop();
		proxies.get(2).drop();
		Client client = this.resources.track(EtcdClients.builder()
			.endpoints(proxies.stream().map((proxy) -> "http://" + proxy.hostAndPort()).toList())
			.build());
		EtcdServiceRegistry registry = this.resources.track(EtcdServiceRegistry.builder()
			.client(client)
			.namespace(NAMESPACE)
			.leaseTtl(LEASE_TTL)
			.requestTimeout(Duration.ofSeconds(2))
			.build());
		EtcdLeaderElection election = this.resources.track(EtcdLeaderElection.create(client,
				LeaderElectionSettings.builder()
					.nodeId("n0")
					.address("127.0.0.1:9000")
					.namespace("partition")
					.heartbeatInterval(Duration.ofMillis(500))
					.electionTimeout(Duration.ofSeconds(3))
					.build()));
		EtcdTestClients majority = this.resources
			.track(new EtcdTestClients(List.of(etcd.clientEndpoint(1), etcd.clientEndpoint(2))));
		majority.put(key("c"), json("c", 9092));
		registry.register(instance("a", 9090));
		election.join();
		List<List<String>> seen = new CopyOnWriteArrayList<>();
		registry.watch("orders", (instances) -> seen.add(ids(instances)));
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("a", "c")));
		await().atMost(Duration.ofSeconds(10)).until(election::isLeader);
		proxies.get(1).heal();
		proxies.get(2).heal();
		// the client connects to members 1 and 2 too, for the calls it makes from now on
		await().atMost(Duration.ofSeconds(30))
			.until(() -> proxies.get(1).openConnections() > 0 && proxies.get(2).openConnections() > 0);
		long lease = leaseOf(majority, "a");
		int resyncsBefore = registry.cacheResyncs();

		long isolatedAt = System.nanoTime();
		etcd.isolate(0);
		try {
			// (1) the watch on member 0 ends with "no leader", which turns the status unreachable until the next
			// answer; that comes from a healthy member within milliseconds, too short to poll, so lastFailure() tells
			await().atMost(Duration.ofSeconds(15)).until(() -> registry.cacheResyncs() > resyncsBefore);
			assertThat(registry.lastFailure()).contains("no leader");
			long detectedMillis = (System.nanoTime() - isolatedAt) / 1_000_000;
			// (2) it moves to the majority and sees what changes there
			majority.put(key("b"), json("b", 9091));
			majority.delete(key("c"));
			await().atMost(Duration.ofSeconds(20)).until(() -> seen.get(seen.size() - 1).equals(List.of("a", "b")));
			await().atMost(Duration.ofSeconds(10)).until(() -> registry.status().reachable());
			System.out.println("isolated member: watch failed ('no leader') after " + detectedMillis
					+ " ms; changes made on the majority seen and reachable again after "
					+ (System.nanoTime() - isolatedAt) / 1_000_000 + " ms");
			// the registration's lease lives on through a healthy member, longer than its TTL
			await().during(LEASE_TTL.multipliedBy(2))
				.atMost(LEASE_TTL.multipliedBy(3))
				.until(() -> lease == leaseOf(majority, "a"));
			assertThat(registry.leaseGrants()).isEqualTo(1);
			// and the election renews its session through a healthy member: it leads, steadily
			await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(25)).until(election::isLeader);
			assertThat(etcd.isRunning(0)).isTrue();
			assertThat(proxies.get(0).openConnections()).isPositive();
		}
		finally {
			etcd.healPartition();
		}
		etcd.awaitHealthy(0);
		majority.put(key("d"), json("d", 9093));
		await().atMost(Duration.ofSeconds(20)).until(() -> seen.get(seen.size() - 1).equals(List.of("a", "b", "d")));
		assertThat(seen).noneMatch(List::isEmpty);
	}

	private static long leaseOf(EtcdTestClients clients, String id) throws Exception {
		io.etcd.jetcd.KeyValue kv = clients.get(key(id));
		return (kv != null) ? kv.getLease() : -1;
	}

	private static String key(String id) {
		return NAMESPACE + "/services/orders/" + id;
	}

	private static ServiceInstance instance(String id, int port) {
		return new ServiceInstance("orders", id, "127.0.0.1", port, Map.of(), InstanceStatus.UP,
				Instant.parse("2025-01-01T00:00:00Z"));
	}

	private static String json(String id, int port) {
		return new String(EtcdInstanceCodec.encode(instance(id, port)), StandardCharsets.UTF_8);
	}

}
