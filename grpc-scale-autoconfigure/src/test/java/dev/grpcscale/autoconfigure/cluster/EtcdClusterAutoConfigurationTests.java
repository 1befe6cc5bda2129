package dev.grpcscale.autoconfigure.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.options.GetOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.mock.env.MockEnvironment;
import org.springframework.util.unit.DataSize;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.cluster.ClusterMember;
import dev.grpcscale.cluster.InMemoryLeaderElection;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderInfo;
import dev.grpcscale.cluster.Leadership;
import dev.grpcscale.cluster.etcd.EtcdLeaderElection;
import dev.grpcscale.test.etcd.EtcdCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * The etcd cluster provider chosen by {@code grpc.scale.cluster.provider=etcd}, against a real etcd.
 */
@org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
class EtcdClusterAutoConfigurationTests {

	private static EtcdCluster etcd;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
				GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders",
				"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace(),
				"grpc.scale.cluster.provider=etcd", "grpc.scale.cluster.heartbeat-interval=200ms",
				"grpc.scale.cluster.election-timeout=1s")
		.withBean(LeadershipEventRecorder.class);

	@BeforeAll
	static void startEtcd() {
		etcd = EtcdCluster.startSingle();
	}

	@AfterAll
	static void stopEtcd() {
		etcd.close();
	}

	/** Discovery stays in memory; the cluster takes its endpoints from the discovery's etcd settings. */
	private ApplicationContextRunner onEtcd(String namespace) {
		return this.runner.withPropertyValues(
				"grpc.scale.service-discovery.etcd.endpoints=" + String.join(",", etcd.clientEndpoints()),
				"grpc.scale.cluster.etcd.namespace=" + namespace);
	}

	@Test
	void withoutAClusterProviderTwoApplicationsOnEtcdDiscoveryElectOneLeaderOnEtcd(CapturedOutput output) {
		String namespace = "/default-provider-" + System.nanoTime();
		ApplicationContextRunner etcdDiscovery = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
					GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class))
			.withPropertyValues("spring.application.name=orders", "grpc.scale.service-discovery.provider=etcd",
					"grpc.scale.service-discovery.etcd.endpoints=" + String.join(",", etcd.clientEndpoints()),
					"grpc.scale.service-discovery.etcd.namespace=" + namespace,
					"grpc.scale.cluster.heartbeat-interval=200ms", "grpc.scale.cluster.election-timeout=1s");
		etcdDiscovery.withPropertyValues("grpc.scale.cluster.node-id=first").run((first) -> etcdDiscovery
			.withPropertyValues("grpc.scale.cluster.node-id=second")
			.run((second) -> {
				assertThat(first).hasSingleBean(EtcdLeaderElection.class).doesNotHaveBean(InMemoryLeaderElection.class);
				assertThat(second).hasSingleBean(EtcdLeaderElection.class);
				LeaderElection a = first.getBean(LeaderElection.class);
				LeaderElection b = second.getBean(LeaderElection.class);
				await().atMost(Duration.ofSeconds(10))
					.until(() -> a.clusterInfo().leader() != null && b.clusterInfo().leader() != null
							&& a.clusterInfo().nodes().size() == 2);
				for (int i = 0; i < 10; i++) {
					assertThat(a.isLeader() && b.isLeader()).isFalse();
				}
				assertThat(a.isLeader() || b.isLeader()).isTrue();
				assertThat(a.clusterInfo().leader().nodeId()).isEqualTo(b.clusterInfo().leader().nodeId());
			}));
		assertThat(output.getAll()).contains("Leader election '" + namespace + "/orders' runs on EtcdLeaderElection "
				+ "(grpc.scale.cluster.provider unset: the discovery backend, etcd)");
	}

	@Test
	void clusterEtcdSettingsDefaultKeyByKeyToTheDiscoverysEtcdSettings() {
		MockEnvironment environment = new MockEnvironment()
			.withProperty("grpc.scale.service-discovery.etcd.endpoints", "http://10.0.0.1:2379,http://10.0.0.2:2379")
			.withProperty("grpc.scale.service-discovery.etcd.username", "discovery")
			.withProperty("grpc.scale.service-discovery.etcd.password", "discovery-secret")
			.withProperty("grpc.scale.service-discovery.etcd.namespace", "/shop")
			.withProperty("grpc.scale.service-discovery.etcd.max-inbound-message-size", "32MB")
			.withProperty("grpc.scale.cluster.etcd.username", "cluster")
			.withProperty("grpc.scale.cluster.etcd.password", "cluster-secret");
		GrpcScaleDiscoveryProperties.EtcdConnection effective = ClusterEtcdClient.effectiveSettings(environment);
		assertThat(effective.getEndpoints()).containsExactly("http://10.0.0.1:2379", "http://10.0.0.2:2379");
		assertThat(effective.getNamespace()).isEqualTo("/shop");
		assertThat(effective.getUsername()).isEqualTo("cluster");
		assertThat(effective.getPassword()).isEqualTo("cluster-secret");
		assertThat(effective.getMaxInboundMessageSize()).isEqualTo(DataSize.ofMegabytes(32));

		GrpcScaleDiscoveryProperties.EtcdConnection defaults = ClusterEtcdClient.effectiveSettings(new MockEnvironment()
			.withProperty("grpc.scale.cluster.etcd.endpoints", "http://10.0.0.3:2379"));
		assertThat(defaults.getEndpoints()).containsExactly("http://10.0.0.3:2379");
		assertThat(defaults.getNamespace()).isEqualTo("/grpc-scale");
		assertThat(defaults.getUsername()).isNull();
		assertThat(defaults.getMaxInboundMessageSize()).isEqualTo(DataSize.ofMegabytes(16));
	}

	@Test
	void etcdProviderElectsOnEtcdUnderTheNamespaceAndElectionName() throws Exception {
		String namespace = "/cl-" + UUID.randomUUID();
		onEtcd(namespace).run((context) -> {
			assertThat(context).hasSingleBean(EtcdLeaderElection.class)
				.hasSingleBean(ClusterEtcdClient.class)
				.doesNotHaveBean(InMemoryLeaderElection.class);
			EtcdLeaderElection election = context.getBean(EtcdLeaderElection.class);
			assertThat(election.keyPrefix()).isEqualTo(namespace + "/cluster/orders/");
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			await().atMost(Duration.ofSeconds(10)).until(manager::isLeader);
			assertThat(manager.getClusterInfo().provider()).isEqualTo("etcd");
			var keys = context.getBean(ClusterEtcdClient.class)
				.client()
				.getKVClient()
				.get(ByteSequence.from(election.keyPrefix(), StandardCharsets.UTF_8),
						GetOption.builder().isPrefix(true).withKeysOnly(true).build())
				.get();
			assertThat(keys.getKvs()).extracting((kv) -> kv.getKey().toString(StandardCharsets.UTF_8))
				.anyMatch((key) -> key.startsWith(namespace + "/cluster/orders/members/"))
				.anyMatch((key) -> key.startsWith(namespace + "/cluster/orders/election/"));
		});
	}

	@Test
	void invalidClusterEtcdSettingStopsStartUpNamingTheClusterProperty() {
		this.runner.withPropertyValues("grpc.scale.cluster.etcd.endpoints=etcd-1:2379").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.cluster.etcd.endpoints: 'etcd-1:2379' (expected: http://host:port or https://host:port");
		});
	}

	@Test
	void twoApplicationsOnEtcdElectOneLeaderAndFailOverWithAHigherTokenWhenTheLeaderCloses() {
		String namespace = "/cl-" + UUID.randomUUID();
		// a lease long enough that a busy machine's late renewal cannot end it mid-test: the graceful
		// hand-over measured below does not wait for the election timeout
		ApplicationContextRunner runner = onEtcd(namespace).withPropertyValues("grpc.scale.cluster.election-timeout=3s");
		runner.withPropertyValues("grpc.scale.cluster.node-id=node-a").run((first) -> runner
			.withPropertyValues("grpc.scale.cluster.node-id=node-b")
			.run((second) -> {
				LeaderElection a = first.getBean(LeaderElection.class);
				LeaderElection b = second.getBean(LeaderElection.class);
				await().atMost(Duration.ofSeconds(10)).until(() -> a.isLeader() || b.isLeader());
				assertThat(a.isLeader() && b.isLeader()).isFalse();
				// one read of each node's leadership decides who leads and with which token
				Optional<Leadership> leadershipOfA = a.leadership();
				Leadership leadership = leadershipOfA.or(b::leadership).orElseThrow();
				boolean firstLeads = leadershipOfA.isPresent();
				var leaderContext = firstLeads ? first : second;
				LeaderElection follower = firstLeads ? b : a;
				var followerContext = firstLeads ? second : first;
				long leaderToken = leadership.fencingToken();
				await().atMost(Duration.ofSeconds(5))
					.until(() -> follower.members().size() == 2 && follower.currentLeader().isPresent());
				assertThat(follower.currentLeader().orElseThrow().nodeId()).isEqualTo(firstLeads ? "node-a" : "node-b");
				LeadershipEventRecorder leaderEvents = leaderContext.getBean(LeadershipEventRecorder.class);
				LeadershipEventRecorder followerEvents = followerContext.getBean(LeadershipEventRecorder.class);
				assertThat(followerEvents.events).isEmpty();

				long closedAt = System.nanoTime();
				leaderContext.close();

				assertThat(leaderEvents.kinds()).containsExactly("LeadershipGrantedEvent", "LeadershipRevokedEvent");
				assertThat(leaderEvents.events.get(1).getFencingToken()).isEqualTo(leaderToken);
				await().atMost(Duration.ofSeconds(10)).until(follower::isLeader);
				Duration failover = Duration.ofNanos(System.nanoTime() - closedAt);
				// a graceful leave revokes the lease: the follower need not wait for the election timeout. Had it
				// waited, the lease (TTL 3 s from the last keep-alive, sent at most a heartbeat of 200 ms before
				// the close) would have had to expire: no sooner than 2.8 s after the close. 2.5 s tells the two
				// apart and leaves a busy machine 2 s beyond a hand-over that takes milliseconds
				assertThat(failover).isLessThan(Duration.ofMillis(2500));
				assertThat(follower.leadership().orElseThrow().fencingToken()).isGreaterThan(leaderToken);
				await().atMost(Duration.ofSeconds(5))
					.until(() -> followerEvents.kinds().equals(List.of("LeadershipGrantedEvent")));
				assertThat(followerEvents.events.get(0).getFencingToken()).isGreaterThan(leaderToken);
			}));
	}

	@Test
	void applicationsOnRandomPortsAnnounceTheirBoundAddressOnEtcd() {
		String namespace = "/cl-" + UUID.randomUUID();
		String discovery = TestServices.uniqueNamespace();
		String[] properties = { "grpc.scale.cluster.provider=etcd",
				"grpc.scale.cluster.etcd.endpoints=" + String.join(",", etcd.clientEndpoints()),
				"grpc.scale.cluster.etcd.namespace=" + namespace, "grpc.scale.cluster.heartbeat-interval=200ms",
				"grpc.scale.cluster.election-timeout=1s" };
		try (ConfigurableApplicationContext a = TestServices.startServer("orders", "a", discovery, with(properties,
				"grpc.scale.cluster.node-id=node-a"));
				ConfigurableApplicationContext b = TestServices.startServer("orders", "b", discovery,
						with(properties, "grpc.scale.cluster.node-id=node-b"))) {
			String addressA = "127.0.0.1:" + a.getEnvironment().getProperty("local.grpc.server.port");
			String addressB = "127.0.0.1:" + b.getEnvironment().getProperty("local.grpc.server.port");
			EnhancedServiceManager manager = b.getBean(EnhancedServiceManager.class);
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
				assertThat(manager.getClusterInfo().nodes()).extracting(ClusterMember::nodeId, ClusterMember::address)
					.containsExactly(tuple("node-a", addressA), tuple("node-b", addressB));
				assertThat(manager.getClusterInfo().leader()).isNotNull();
			});
			LeaderInfo leader = manager.getClusterInfo().leader();
			assertThat(leader.address()).isEqualTo(leader.nodeId().equals("node-a") ? addressA : addressB);
		}
	}

	private static String[] with(String[] properties, String extra) {
		String[] result = Arrays.copyOf(properties, properties.length + 1);
		result[properties.length] = extra;
		return result;
	}

}
