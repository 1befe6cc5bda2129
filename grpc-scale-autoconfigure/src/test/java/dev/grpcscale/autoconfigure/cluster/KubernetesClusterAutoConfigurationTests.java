package dev.grpcscale.autoconfigure.cluster;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.cluster.InMemoryLeaderElection;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.kubernetes.KubernetesLeaderElection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Kubernetes cluster provider chosen by {@code grpc.scale.cluster.provider=kubernetes}, on the application's
 * {@link KubernetesClient} bean (here a client of fabric8's CRUD mock API server, as the Kubernetes
 * auto-configuration would provide one for a real cluster), and two applications electing one leader on it.
 */
class KubernetesClusterAutoConfigurationTests {

	private KubernetesMockServer server;

	/** Reads what the applications wrote; each application gets a client bean of its own, closed with it. */
	private KubernetesClient admin;

	private ApplicationContextRunner runner;

	@BeforeEach
	void startApiServer() {
		this.server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
				new KubernetesCrudDispatcher(), false);
		this.server.init(InetAddress.getLoopbackAddress(), 0);
		this.admin = newClient();
		this.runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
					GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class))
			.withPropertyValues("spring.application.name=orders",
					"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace(),
					"grpc.scale.cluster.provider=kubernetes", "grpc.scale.cluster.heartbeat-interval=200ms",
					"grpc.scale.cluster.election-timeout=30s");
	}

	@AfterEach
	void stopApiServer() {
		this.admin.close();
		this.server.destroy();
	}

	@Test
	void kubernetesProviderBuildsALeaseElectionOnTheApplicationsClientInItsNamespace() {
		this.runner.withBean(KubernetesClient.class, this::newClient)
			.withPropertyValues("grpc.scale.cluster.node-id=orders-7d9f8-abcde")
			.run((context) -> {
				assertThat(context).hasSingleBean(KubernetesLeaderElection.class)
					.doesNotHaveBean(InMemoryLeaderElection.class);
				KubernetesLeaderElection election = context.getBean(KubernetesLeaderElection.class);
				assertThat(election.namespace()).isEqualTo("shop");
				assertThat(election.leaseName()).isEqualTo("grpc-scale-orders");
				assertThat(election.memberLeaseName()).isEqualTo("grpc-scale-orders.orders-7d9f8-abcde");
				assertThat(election.leaseDuration()).isEqualTo(Duration.ofSeconds(30));
			});
	}

	@Test
	void namespaceAndElectionNameComeFromTheClusterProperties() {
		this.runner.withBean(KubernetesClient.class, this::newClient)
			.withPropertyValues("grpc.scale.cluster.kubernetes.namespace=payments",
					"grpc.scale.cluster.election-name=Billing_Jobs")
			.run((context) -> {
				KubernetesLeaderElection election = context.getBean(KubernetesLeaderElection.class);
				assertThat(election.namespace()).isEqualTo("payments");
				assertThat(election.leaseName()).isEqualTo("grpc-scale-billing-jobs");
			});
	}

	@Test
	void twoApplicationsElectOneLeaderOnTheLeaseAndHandOverWhenTheLeaderCloses() {
		ApplicationContextRunner runner = this.runner.withBean(LeadershipEventRecorder.class);
		runner.withBean(KubernetesClient.class, this::newClient)
			.withPropertyValues("grpc.scale.cluster.node-id=orders-a")
			.run((first) -> runner.withBean(KubernetesClient.class, this::newClient)
				.withPropertyValues("grpc.scale.cluster.node-id=orders-b")
				.run((second) -> {
					KubernetesLeaderElection a = first.getBean(KubernetesLeaderElection.class);
					KubernetesLeaderElection b = second.getBean(KubernetesLeaderElection.class);
					await().atMost(Duration.ofSeconds(30)).until(() -> a.isLeader() ^ b.isLeader());
					boolean firstLeads = a.isLeader();
					var leaderContext = firstLeads ? first : second;
					KubernetesLeaderElection follower = firstLeads ? b : a;
					long leaderToken = (firstLeads ? a : b).leadership().orElseThrow().fencingToken();
					await().atMost(Duration.ofSeconds(30))
						.until(() -> follower.members().size() == 2 && follower.currentLeader().isPresent());

					LeadershipEventRecorder leaderEvents = leaderContext.getBean(LeadershipEventRecorder.class);
					leaderContext.close();

					assertThat(leaderEvents.kinds()).containsExactly("LeadershipGrantedEvent",
							"LeadershipRevokedEvent");
					// released on close: long before the 30 s lease could lapse
					await().atMost(Duration.ofSeconds(10)).until(follower::isLeader);
					long followerToken = follower.leadership().orElseThrow().fencingToken();
					assertThat(followerToken).isGreaterThan(leaderToken);
					Lease lease = this.admin.leases().inNamespace("shop").withName("grpc-scale-orders").get();
					assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(follower.settings().nodeId());
					assertThat(lease.getSpec().getLeaseTransitions()).isEqualTo((int) followerToken);
				}));
	}

	@Test
	void userElectionReplacesTheKubernetesOne() {
		LeaderElection own = InMemoryLeaderElection
			.shared(LeaderElectionSettings.builder().electionName("own-" + System.nanoTime()).build());
		this.runner.withBean(KubernetesClient.class, this::newClient)
			.withBean(LeaderElection.class, () -> own)
			.run((context) -> {
				assertThat(context).doesNotHaveBean(KubernetesLeaderElection.class);
				assertThat(context.getBean(LeaderElection.class)).isSameAs(own);
			});
		own.close();
	}

	@Test
	void kubernetesProviderWithoutFabric8StopsStartUpSayingWhatToAdd() {
		this.runner.withClassLoader(new FilteredClassLoader("io.fabric8")).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.cluster.provider: 'kubernetes' (expected: io.fabric8:kubernetes-client on the classpath");
		});
	}

	@Test
	void invalidNamespaceStopsStartUpNamingTheClusterProperty() {
		this.runner.withBean(KubernetesClient.class, this::newClient)
			.withPropertyValues("grpc.scale.cluster.kubernetes.namespace=Payments")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining(
						"grpc.scale.cluster.kubernetes.namespace: 'Payments' (expected: a Kubernetes namespace");
			});
	}

	@Test
	void electionNameGivingNoLeaseNameStopsStartUpNamingTheElectionName() {
		String longName = "a".repeat(60);
		this.runner.withBean(KubernetesClient.class, this::newClient)
			.withPropertyValues("grpc.scale.cluster.election-name=" + longName)
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining("grpc.scale.cluster.election-name: '"
						+ longName + "' (expected: a name that gives a Lease name with provider kubernetes");
			});
		this.runner.withBean(KubernetesClient.class, this::newClient)
			.withPropertyValues("spring.application.name=orders_")
			.run((context) -> assertThat(context.getStartupFailure())
				.hasStackTraceContaining("grpc.scale.cluster.election-name: 'orders_' (expected: ")
				.hasStackTraceContaining("it defaults to spring.application.name"));
	}

	private KubernetesClient newClient() {
		Config config = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + this.server.getPort())
			.withNamespace("shop")
			.build();
		return new KubernetesClientBuilder().withConfig(config).build();
	}

}
