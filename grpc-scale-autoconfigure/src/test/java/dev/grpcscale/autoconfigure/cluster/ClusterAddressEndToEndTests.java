package dev.grpcscale.autoconfigure.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.cluster.ClusterInfo;
import dev.grpcscale.cluster.ClusterMember;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * The address a node announces to a memory cluster, with real Spring Boot applications serving gRPC over
 * Netty on random ports of 127.0.0.1.
 */
class ClusterAddressEndToEndTests {

	@Test
	void membersOnRandomPortsAnnounceTheirBoundAddressAndTheLeadersAddressIsItsOwn() {
		String election = election();
		try (ConfigurableApplicationContext a = start("a", election);
				ConfigurableApplicationContext b = start("b", election)) {
			EnhancedServiceManager managerA = a.getBean(EnhancedServiceManager.class);
			EnhancedServiceManager managerB = b.getBean(EnhancedServiceManager.class);
			String addressA = "127.0.0.1:" + port(a);
			String addressB = "127.0.0.1:" + port(b);
			for (EnhancedServiceManager manager : new EnhancedServiceManager[] { managerA, managerB }) {
				await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
					ClusterInfo info = manager.getClusterInfo();
					assertThat(info.nodes()).extracting(ClusterMember::nodeId, ClusterMember::address)
						.containsExactlyInAnyOrder(tuple("a", addressA), tuple("b", addressB));
					assertThat(info.leader()).isNotNull();
				});
			}
			boolean aLeads = managerA.isLeader();
			assertThat(managerB.isLeader()).isNotEqualTo(aLeads);
			String leaderAddress = aLeads ? addressA : addressB;
			assertThat(managerA.getClusterInfo().leader().address()).isEqualTo(leaderAddress);
			assertThat(managerB.getClusterInfo().leader().address()).isEqualTo(leaderAddress);
		}
	}

	@Test
	void explicitAddressWinsOverTheServersAddress() {
		try (ConfigurableApplicationContext a = start("a", election(), "grpc.scale.cluster.address=10.0.0.7:9090")) {
			EnhancedServiceManager manager = a.getBean(EnhancedServiceManager.class);
			await().atMost(Duration.ofSeconds(5)).until(manager::isLeader);
			assertThat(manager.getClusterInfo().nodes()).extracting(ClusterMember::address)
				.containsExactly("10.0.0.7:9090");
			assertThat(manager.getClusterInfo().leader().address()).isEqualTo("10.0.0.7:9090");
		}
	}

	@Test
	void addressIsThatOfTheFirstServiceRegisteredWithDiscovery() {
		try (ConfigurableApplicationContext a = start("a", election(),
				"grpc.scale.services[0].host=orders.internal")) {
			EnhancedServiceManager manager = a.getBean(EnhancedServiceManager.class);
			await().atMost(Duration.ofSeconds(5)).until(manager::isLeader);
			assertThat(manager.getClusterInfo().nodes()).extracting(ClusterMember::address)
				.containsExactly("orders.internal:" + port(a));
			assertThat(manager.getClusterInfo().leader().address()).isEqualTo("orders.internal:" + port(a));
		}
	}

	@Test
	void clientWithoutGrpcServerAnnouncesNoAddressAndStillLeads() {
		try (ConfigurableApplicationContext client = TestServices.startClient(TestServices.uniqueNamespace(),
				properties("client", election()).toArray(String[]::new))) {
			EnhancedServiceManager manager = client.getBean(EnhancedServiceManager.class);
			await().atMost(Duration.ofSeconds(5)).until(manager::isLeader);
			assertThat(manager.getClusterInfo().nodes()).extracting(ClusterMember::nodeId, ClusterMember::address)
				.containsExactly(tuple("client", ""));
			assertThat(manager.getClusterInfo().leader().address()).isEmpty();
		}
	}

	/** The name of an election no other test uses. */
	private static String election() {
		return "e-" + UUID.randomUUID();
	}

	private static List<String> properties(String nodeId, String election, String... extra) {
		List<String> properties = new ArrayList<>(List.of("grpc.scale.cluster.election-name=" + election,
				"grpc.scale.cluster.node-id=" + nodeId, "grpc.scale.cluster.heartbeat-interval=200ms",
				"grpc.scale.cluster.election-timeout=1s"));
		properties.addAll(List.of(extra));
		return properties;
	}

	private static ConfigurableApplicationContext start(String nodeId, String election, String... extra) {
		return TestServices.startServer("orders", nodeId, TestServices.uniqueNamespace(),
				properties(nodeId, election, extra).toArray(String[]::new));
	}

	private static int port(ConfigurableApplicationContext context) {
		return Integer.parseInt(context.getEnvironment().getProperty("local.grpc.server.port"));
	}

}
