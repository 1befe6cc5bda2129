package dev.grpcscale;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.cluster.InMemoryLeaderElection;
import dev.grpcscale.cluster.InMemoryLeaderGroup;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeadershipEvent;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDefinition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

class EnhancedServiceManagerClusterTests {

	private final InMemoryServiceRegistry registry = InMemoryServiceRegistry.create();

	private final LeaderElection election = InMemoryLeaderElection.create(InMemoryLeaderGroup.create(),
			LeaderElectionSettings.builder()
				.nodeId("node-1")
				.address("127.0.0.1:9090")
				.heartbeatInterval(Duration.ofMillis(50))
				.electionTimeout(Duration.ofMillis(500))
				.build());

	private final EnhancedServiceManager manager = EnhancedServiceManager.builder()
		.serviceRegistry(this.registry)
		.serviceDiscovery(this.registry)
		.leaderElection(this.election)
		.build();

	@AfterEach
	void close() {
		this.election.close();
		this.registry.close();
	}

	@Test
	void clusterInfoLeadershipAndStatusComeFromTheElection() {
		List<LeadershipEvent> events = new CopyOnWriteArrayList<>();
		this.manager.onLeadershipChange(events::add);
		this.election.join();
		await().atMost(Duration.ofSeconds(5)).until(this.manager::isLeader);

		assertThat(this.manager.getClusterInfo().leader().nodeId()).isEqualTo("node-1");
		assertThat(this.manager.getClusterInfo().nodes()).extracting("nodeId").containsExactly("node-1");
		assertThat(this.manager.getEnhancedServiceStatus().cluster()).isNotNull()
			.satisfies((cluster) -> assertThat(cluster.isLeader()).isTrue());
		assertThat(events).extracting(LeadershipEvent::type).contains(LeadershipEvent.Type.GRANTED);
	}

	@Test
	void gracefulShutdownResignsLeadershipAfterDeregistration() {
		this.manager.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090));
		this.election.join();
		await().atMost(Duration.ofSeconds(5)).until(this.manager::isLeader);
		List<Map<String, ?>> servicesWhenRevoked = new CopyOnWriteArrayList<>();
		this.manager.onLeadershipChange((event) -> {
			if (event.type() == LeadershipEvent.Type.REVOKED) {
				servicesWhenRevoked.add(this.manager.getAllServices());
			}
		});

		this.manager.gracefulShutdown();

		assertThat(this.manager.isLeader()).isFalse();
		assertThat(servicesWhenRevoked).containsExactly(Map.of());
	}

	@Test
	void clusterMethodsFailClearlyWithoutAnElection() {
		EnhancedServiceManager bare = EnhancedServiceManager.builder().build();
		assertThatIllegalStateException().isThrownBy(bare::isLeader)
			.withMessage("Clustering is not enabled: no LeaderElection configured");
		assertThatIllegalStateException().isThrownBy(bare::getClusterInfo);
		assertThat(bare.getEnhancedServiceStatus().cluster()).isNull();
		bare.gracefulShutdown();
	}

}
