package dev.grpcscale.autoconfigure.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.mock.env.MockEnvironment;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.GrpcScaleClusterProperties;
import dev.grpcscale.autoconfigure.GrpcScaleClusterProperties.Provider;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.cluster.InMemoryLeaderElection;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.raft.RaftLeaderElection;

import dev.grpcscale.test.net.FreePorts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The raft cluster provider: chosen by {@code grpc.scale.cluster.provider=raft} or by {@code nodes} listing
 * other nodes as {@code id=host:port}; three applications electing one leader among themselves on loopback;
 * configuration errors and start-up failures naming their keys.
 */
class RaftClusterAutoConfigurationTests {

	@TempDir
	Path storage;

	private final String electionName = "e-" + UUID.randomUUID();

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
				GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders",
				"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace(),
				"grpc.scale.cluster.election-name=" + this.electionName, "grpc.scale.cluster.heartbeat-interval=100ms",
				"grpc.scale.cluster.election-timeout=1s");

	@Test
	void nodesListingOtherMembersAsIdHostPortMakeRaftTheDefaultAndThreeApplicationsElectOneLeader()
			throws IOException {
		String nodes = "grpc.scale.cluster.nodes=a=127.0.0.1:" + freePort() + ",b=127.0.0.1:" + freePort()
				+ ",c=127.0.0.1:" + freePort();
		node("a", nodes).run((a) -> node("b", nodes).run((b) -> node("c", nodes).run((c) -> {
			List<AssertableApplicationContext> contexts = List.of(a, b, c);
			for (AssertableApplicationContext context : contexts) {
				assertThat(context).hasSingleBean(RaftLeaderElection.class).doesNotHaveBean(InMemoryLeaderElection.class);
			}
			RaftLeaderElection election = a.getBean(RaftLeaderElection.class);
			assertThat(election.storageDir()).isEqualTo(this.storage.resolve("a"));
			assertThat(election.bindAddress()).isEqualTo("127.0.0.1");
			assertThat(election.settings().nodes()).containsExactly("a", "b", "c");
			await().atMost(Duration.ofSeconds(20))
				.until(() -> contexts.stream()
					.filter((context) -> context.getBean(EnhancedServiceManager.class).isLeader())
					.count() == 1);
			EnhancedServiceManager manager = a.getBean(EnhancedServiceManager.class);
			assertThat(manager.getClusterInfo().provider()).isEqualTo("raft");
			await().atMost(Duration.ofSeconds(10)).until(() -> manager.getClusterInfo().leader() != null);
		})));
	}

	@Test
	void nodesOfPlainIdsKeepTheMemoryElection() {
		this.runner.withPropertyValues("grpc.scale.cluster.node-id=a", "grpc.scale.cluster.nodes=a,b,c")
			.run((context) -> assertThat(context).hasSingleBean(InMemoryLeaderElection.class)
				.doesNotHaveBean(RaftLeaderElection.class));
	}

	@Test
	void aSharedDiscoveryBackendTakesPrecedenceOverTheRaftDefault() {
		MockEnvironment environment = new MockEnvironment()
			.withProperty("grpc.scale.service-discovery.provider", "etcd")
			.withProperty("grpc.scale.cluster.node-id", "a")
			.withProperty("grpc.scale.cluster.nodes", "a=127.0.0.1:1,b=127.0.0.1:2");
		assertThat(GrpcScaleClusterProperties.effectiveProvider(environment)).isEqualTo(Provider.ETCD);
		environment.setProperty("grpc.scale.service-discovery.provider", "memory");
		assertThat(GrpcScaleClusterProperties.effectiveProvider(environment)).isEqualTo(Provider.RAFT);
		environment.setProperty("grpc.scale.cluster.nodes", "a=127.0.0.1:1");
		assertThat(GrpcScaleClusterProperties.effectiveProvider(environment)).isEqualTo(Provider.MEMORY);
	}

	@Test
	void plainIdWithProviderRaftStopsStartUpNamingTheExpectedForm() {
		this.runner
			.withPropertyValues("grpc.scale.cluster.provider=raft", "grpc.scale.cluster.node-id=a",
					"grpc.scale.cluster.nodes=a=127.0.0.1:9871,b")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining(
						"grpc.scale.cluster.nodes[1]: 'b' (expected: id=host:port with provider raft");
			});
	}

	@Test
	void ownIdMissingFromTheNodesStopsStartUpNamingNodeId() {
		this.runner
			.withPropertyValues("grpc.scale.cluster.node-id=x", "grpc.scale.cluster.nodes=a=127.0.0.1:9871,b=127.0.0.1:9872")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining(
						"grpc.scale.cluster.node-id: 'x' (expected: one of the ids in grpc.scale.cluster.nodes");
			});
	}

	@Test
	void duplicateIdsStopStartUpNamingTheEntry() {
		this.runner
			.withPropertyValues("grpc.scale.cluster.node-id=a",
					"grpc.scale.cluster.nodes=a=127.0.0.1:9871,a=127.0.0.1:9872,b=127.0.0.1:9873")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining(
						"grpc.scale.cluster.nodes[1]: 'a=127.0.0.1:9872' (expected: unique node ids; 'a' is listed twice)");
			});
	}

	@Test
	void raftPortInUseStopsStartUpThroughTheFailureAnalyzerNamingTheKeys() throws IOException {
		try (ServerSocket taken = new ServerSocket()) {
			taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort()));
			String nodes = "a=127.0.0.1:" + taken.getLocalPort() + ",b=127.0.0.1:" + freePort();
			node("a", "grpc.scale.cluster.nodes=" + nodes).run((context) -> {
				assertThat(context).hasFailed();
				MockEnvironment environment = new MockEnvironment().withProperty("grpc.scale.cluster.node-id", "a")
					.withProperty("grpc.scale.cluster.nodes", nodes);
				FailureAnalysis analysis = new RaftClusterFailureAnalyzer(environment)
					.analyze(context.getStartupFailure());
				assertThat(analysis).isNotNull();
				assertThat(analysis.getDescription()).contains("grpc.scale.cluster.raft.bind-address")
					.contains("bindAddress: 127.0.0.1:" + taken.getLocalPort());
				assertThat(analysis.getAction()).contains("grpc.scale.cluster.nodes");
			});
		}
	}

	@Test
	void unwritableStorageDirStopsStartUpThroughTheFailureAnalyzerNamingTheKey() throws IOException {
		Path file = Files.createFile(this.storage.resolve("a-file"));
		String nodes = "grpc.scale.cluster.nodes=a=127.0.0.1:" + freePort() + ",b=127.0.0.1:" + freePort();
		this.runner
			.withPropertyValues("grpc.scale.cluster.node-id=a", nodes,
					"grpc.scale.cluster.raft.storage-dir=" + file.resolve("raft"))
			.run((context) -> {
				assertThat(context).hasFailed();
				MockEnvironment environment = new MockEnvironment().withProperty("grpc.scale.cluster.raft.storage-dir",
						file.resolve("raft").toString());
				FailureAnalysis analysis = new RaftClusterFailureAnalyzer(environment)
					.analyze(context.getStartupFailure());
				assertThat(analysis).isNotNull();
				assertThat(analysis.getDescription()).contains("grpc.scale.cluster.raft.storage-dir: " + file.resolve("raft"));
				assertThat(analysis.getAction()).contains("grpc.scale.cluster.raft.storage-dir");
			});
	}

	@Test
	void providerRaftWithoutRatisStopsStartUpNamingTheDependency() {
		this.runner
			.withPropertyValues("grpc.scale.cluster.provider=raft", "grpc.scale.cluster.node-id=a",
					"grpc.scale.cluster.nodes=a=127.0.0.1:9871,b=127.0.0.1:9872")
			.withClassLoader(new FilteredClassLoader("org.apache.ratis"))
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining(
						"grpc.scale.cluster.provider: 'raft' (expected: org.apache.ratis:");
			});
	}

	@Test
	void userElectionReplacesTheRaftOne() throws IOException {
		LeaderElection own = InMemoryLeaderElection.shared(LeaderElectionSettings.builder()
			.nodeId("own")
			.electionName(this.electionName)
			.build());
		String nodes = "grpc.scale.cluster.nodes=a=127.0.0.1:" + freePort() + ",b=127.0.0.1:" + freePort();
		node("a", nodes).withBean(LeaderElection.class, () -> own).run((context) -> {
			assertThat(context).hasNotFailed().doesNotHaveBean(RaftLeaderElection.class);
			assertThat(context.getBean(LeaderElection.class)).isSameAs(own);
		});
		own.close();
	}

	private ApplicationContextRunner node(String id, String nodes) {
		return this.runner.withPropertyValues("grpc.scale.cluster.node-id=" + id, nodes,
				"grpc.scale.cluster.raft.storage-dir=" + this.storage.resolve(id));
	}

	private static int freePort() {
		return FreePorts.next();
	}

}
