package dev.grpcscale.autoconfigure.cluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.mock.env.MockEnvironment;

import dev.grpcscale.autoconfigure.LocalInstanceLifecycle;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.GrpcScaleClusterProperties;
import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.cluster.InMemoryLeaderElection;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.consul.ConsulLeaderElection;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Consul cluster provider chosen by {@code grpc.scale.cluster.provider=consul}: which election is built
 * from which properties, against a closed local port (joining is asynchronous, so start-up needs no agent),
 * and two applications electing a leader on a {@link FakeConsulAgent}. No test runs against a real Consul.
 */
class ConsulClusterAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
				GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders",
				"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace(),
				"grpc.scale.cluster.provider=consul", "grpc.scale.cluster.heartbeat-interval=200ms",
				"grpc.scale.cluster.election-timeout=1s", "grpc.scale.cluster.consul.host=127.0.0.1",
				"grpc.scale.cluster.consul.port=" + closedPort());

	@Test
	void consulProviderBuildsAConsulElectionUnderTheElectionNameWithTheMappedSettings() {
		this.runner
			.withPropertyValues("grpc.scale.cluster.node-id=orders-1", "grpc.scale.cluster.consul.lock-delay=5s",
					"grpc.scale.cluster.consul.token=cluster-secret")
			.run((context) -> {
				assertThat(context).hasSingleBean(ConsulLeaderElection.class)
					.doesNotHaveBean(InMemoryLeaderElection.class)
					.hasSingleBean(LocalInstanceLifecycle.class);
				ConsulLeaderElection election = context.getBean(ConsulLeaderElection.class);
				assertThat(election.keyPrefix()).isEqualTo("grpc-scale/cluster/orders/");
				assertThat(election.lockDelay()).isEqualTo(Duration.ofSeconds(5));
				assertThat(election.sessionTtl()).isEqualTo(Duration.ofSeconds(10));
				assertThat(election.settings().nodeId()).isEqualTo("orders-1");
				assertThat(election.toString()).contains("127.0.0.1")
					.contains("aclToken=(set)")
					.doesNotContain("cluster-secret");
			});
	}

	@Test
	void lockDelayDefaultsToTheElectionsMinimumAndTheElectionNameToTheApplication() {
		this.runner.withPropertyValues("grpc.scale.cluster.election-name=billing").run((context) -> {
			ConsulLeaderElection election = context.getBean(ConsulLeaderElection.class);
			// min(heartbeat 200ms + request timeout 10s, lease validity 900ms), rounded up to whole seconds
			assertThat(election.lockDelay()).isEqualTo(Duration.ofSeconds(1));
			assertThat(election.keyPrefix()).isEqualTo("grpc-scale/cluster/billing/");
		});
	}

	@Test
	void clusterConsulSettingsDefaultKeyByKeyToTheDiscoverysConsulSettings() {
		MockEnvironment environment = new MockEnvironment()
			.withProperty("grpc.scale.service-discovery.consul.host", "consul.internal")
			.withProperty("grpc.scale.service-discovery.consul.port", "8501")
			.withProperty("grpc.scale.service-discovery.consul.scheme", "https")
			.withProperty("grpc.scale.service-discovery.consul.token", "discovery-secret")
			.withProperty("grpc.scale.service-discovery.consul.request-timeout", "3s")
			.withProperty("grpc.scale.service-discovery.consul.check-type", "ttl")
			.withProperty("grpc.scale.service-discovery.consul.tls.trust-store-type", "JKS")
			.withProperty("grpc.scale.cluster.consul.token", "cluster-secret")
			.withProperty("grpc.scale.cluster.consul.port", "8502")
			.withProperty("grpc.scale.cluster.consul.lock-delay", "0s");
		GrpcScaleClusterProperties.Consul effective = ClusterConsulElectionFactory.effectiveSettings(environment);
		assertThat(effective.getHost()).isEqualTo("consul.internal");
		assertThat(effective.getScheme()).isEqualTo(GrpcScaleDiscoveryProperties.ConsulScheme.HTTPS);
		assertThat(effective.getRequestTimeout()).isEqualTo(Duration.ofSeconds(3));
		assertThat(effective.getTls().getTrustStoreType()).isEqualTo("JKS");
		assertThat(effective.getPort()).isEqualTo(8502);
		assertThat(effective.getToken()).isEqualTo("cluster-secret");
		assertThat(effective.getLockDelay()).isZero();

		GrpcScaleClusterProperties.Consul defaults = ClusterConsulElectionFactory.effectiveSettings(
				new MockEnvironment().withProperty("grpc.scale.cluster.consul.host", "10.0.0.9")
					// not a discovery key: the cluster-only lock delay is never taken from there
					.withProperty("grpc.scale.service-discovery.consul.lock-delay", "30s"));
		assertThat(defaults.getHost()).isEqualTo("10.0.0.9");
		assertThat(defaults.getPort()).isEqualTo(8500);
		assertThat(defaults.getScheme()).isEqualTo(GrpcScaleDiscoveryProperties.ConsulScheme.HTTP);
		assertThat(defaults.getToken()).isNull();
		assertThat(defaults.getLockDelay()).isNull();
	}

	@Test
	void discoverysConsulAgentIsUsedWhenTheClusterSetsNone() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
					GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class))
			.withPropertyValues("spring.application.name=orders",
					"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace(),
					"grpc.scale.cluster.provider=consul", "grpc.scale.cluster.heartbeat-interval=200ms",
					"grpc.scale.cluster.election-timeout=1s",
					"grpc.scale.service-discovery.consul.host=127.0.0.2",
					"grpc.scale.service-discovery.consul.port=" + closedPort())
			.run((context) -> assertThat(context.getBean(ConsulLeaderElection.class).toString())
				.contains("127.0.0.2"));
	}

	@Test
	void lockDelayAboveConsulsMaximumStopsStartUpNamingTheClusterProperty() {
		this.runner.withPropertyValues("grpc.scale.cluster.consul.lock-delay=2m").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure())
				.hasStackTraceContaining("grpc.scale.cluster.consul.lock-delay: 'PT2M' (expected: >= 0 and <= PT1M");
		});
	}

	@Test
	void lockDelayBelowAHeartbeatPlusARoundTripStopsStartUpNamingTheClusterProperty() {
		this.runner.withPropertyValues("grpc.scale.cluster.consul.lock-delay=500ms").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.cluster.consul.lock-delay: 'PT0.5S' (expected: >= PT0.9S = min(heartbeat-interval + request-timeout");
		});
	}

	@Test
	void portOutOfRangeStopsStartUpNamingTheClusterProperty() {
		this.runner.withPropertyValues("grpc.scale.cluster.consul.port=0").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure())
				.hasStackTraceContaining("grpc.scale.cluster.consul.port: '0' (expected: 1..65535)");
		});
	}

	@Test
	void userElectionReplacesTheConsulOne() {
		LeaderElection own = InMemoryLeaderElection.shared(LeaderElectionSettings.builder()
			.electionName("own-" + System.nanoTime())
			.build());
		this.runner.withBean(LeaderElection.class, () -> own).run((context) -> {
			assertThat(context).doesNotHaveBean(ConsulLeaderElection.class);
			assertThat(context.getBean(LeaderElection.class)).isSameAs(own);
		});
		own.close();
	}

	@Test
	void consulProviderWithoutJacksonStopsStartUpSayingWhatToAdd() {
		this.runner.withClassLoader(new FilteredClassLoader("tools.jackson")).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.cluster.provider: 'consul' (expected: tools.jackson.core:jackson-databind on the classpath");
		});
	}

	@Test
	void twoApplicationsOnAFakeAgentElectOneLeaderAndFailOverWithAHigherModifyIndexWhenTheLeaderCloses()
			throws IOException {
		try (FakeConsulAgent agent = new FakeConsulAgent()) {
			ApplicationContextRunner runner = this.runner.withBean(LeadershipEventRecorder.class)
				.withPropertyValues("grpc.scale.cluster.election-name=e-" + UUID.randomUUID(),
						"grpc.scale.cluster.consul.port=" + agent.port(), "grpc.scale.cluster.consul.token=s3cret");
			runner.withPropertyValues("grpc.scale.cluster.node-id=node-a").run((first) -> runner
				.withPropertyValues("grpc.scale.cluster.node-id=node-b")
				.run((second) -> {
					ConsulLeaderElection a = first.getBean(ConsulLeaderElection.class);
					ConsulLeaderElection b = second.getBean(ConsulLeaderElection.class);
					await().atMost(Duration.ofSeconds(30)).until(() -> a.isLeader() || b.isLeader());
					assertThat(a.isLeader() && b.isLeader()).isFalse();
					boolean firstLeads = a.isLeader();
					var leaderContext = firstLeads ? first : second;
					ConsulLeaderElection follower = firstLeads ? b : a;
					long leaderToken = (firstLeads ? a : b).leadership().orElseThrow().fencingToken();
					String leaderKey = a.keyPrefix() + "leader";
					assertThat(agent.kvEntry(leaderKey).modifyIndex()).isEqualTo(leaderToken);
					assertThat(agent.requests("PUT", "/v1/session/create"))
						.allSatisfy((request) -> assertThat(request.headers().get("x-consul-token"))
							.containsExactly("s3cret"));
					await().atMost(Duration.ofSeconds(30))
						.until(() -> follower.members().size() == 2 && follower.currentLeader().isPresent());

					LeadershipEventRecorder leaderEvents = leaderContext.getBean(LeadershipEventRecorder.class);
					leaderContext.close();

					assertThat(leaderEvents.kinds()).containsExactly("LeadershipGrantedEvent",
							"LeadershipRevokedEvent");
					await().atMost(Duration.ofSeconds(30)).until(follower::isLeader);
					long followerToken = follower.leadership().orElseThrow().fencingToken();
					assertThat(followerToken).isGreaterThan(leaderToken);
					assertThat(agent.kvEntry(leaderKey).modifyIndex()).isEqualTo(followerToken);
				}));
		}
	}

	/** A local port nothing listens on: the election's requests are refused, start-up is not affected. */
	private static int closedPort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
