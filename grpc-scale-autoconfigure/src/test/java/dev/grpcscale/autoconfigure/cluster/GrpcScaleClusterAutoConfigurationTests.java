package dev.grpcscale.autoconfigure.cluster;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.server.GrpcServerFactory;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;

import dev.grpcscale.autoconfigure.LocalInstanceLifecycle;
import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.InvalidGrpcScalePropertiesFailureAnalyzer;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.autoconfigure.actuate.ClusterHealthContributorAutoConfiguration;
import dev.grpcscale.autoconfigure.actuate.ClusterHealthIndicator;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.cluster.InMemoryLeaderElection;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeaderTask;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@ExtendWith(OutputCaptureExtension.class)
class GrpcScaleClusterAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
				GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class,
				ClusterHealthContributorAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders",
				"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace(),
				"grpc.scale.cluster.heartbeat-interval=200ms", "grpc.scale.cluster.election-timeout=1s")
		.withBean(LeadershipEventRecorder.class);

	/** A runner whose contexts compete in an election no other test uses. */
	private ApplicationContextRunner isolated() {
		return this.runner.withPropertyValues("grpc.scale.cluster.election-name=e-" + UUID.randomUUID());
	}

	@Test
	void defaultsGiveAMemoryElectionNamedAfterTheApplicationJoinedAtStartAndHandedToTheManager() {
		this.runner.run((context) -> {
			assertThat(context).hasSingleBean(InMemoryLeaderElection.class)
				.hasSingleBean(LocalInstanceLifecycle.class)
				.hasSingleBean(LeadershipEventPublisher.class)
				.hasSingleBean(ClusterHealthIndicator.class);
			LeaderElection election = context.getBean(LeaderElection.class);
			assertThat(election.settings().electionName()).isEqualTo("orders");
			assertThat(election.settings().namespace()).isEqualTo("grpc-scale");
			assertThat(election.settings().heartbeatInterval()).isEqualTo(Duration.ofMillis(200));
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			await().atMost(Duration.ofSeconds(5)).until(manager::isLeader);
			assertThat(manager.getClusterInfo().provider()).isEqualTo("memory");
			assertThat(manager.getEnhancedServiceStatus().cluster()).isNotNull();
			assertThat(manager.getEnhancedServiceStatus().cluster().isLeader()).isTrue();
			LeadershipEventRecorder recorder = context.getBean(LeadershipEventRecorder.class);
			await().atMost(Duration.ofSeconds(5)).until(() -> recorder.kinds().contains("LeadershipGrantedEvent"));
			assertThat(recorder.events.get(0).getNodeId()).isEqualTo(election.settings().nodeId());
			assertThat(recorder.events.get(0).getFencingToken()).isEqualTo(manager.getClusterInfo().ownFencingToken());
			assertThat(recorder.events.get(0).getElection()).isSameAs(election);
		});
	}

	@Test
	void nodeIdNodesAddressAndLeaderElectionAreMapped() {
		isolated()
			.withPropertyValues("grpc.scale.cluster.node-id=orders-1", "grpc.scale.cluster.nodes=orders-1,orders-2",
					"grpc.scale.cluster.address=10.0.0.7:9090", "grpc.scale.cluster.leader-election=false")
			.run((context) -> {
				LeaderElectionSettings settings = context.getBean(LeaderElection.class).settings();
				assertThat(settings.nodeId()).isEqualTo("orders-1");
				assertThat(settings.nodes()).containsExactly("orders-1", "orders-2");
				assertThat(settings.address()).isEqualTo("10.0.0.7:9090");
				assertThat(settings.leaderElection()).isFalse();
				EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
				await().atMost(Duration.ofSeconds(5))
					.until(() -> manager.getClusterInfo().nodes().stream().anyMatch((m) -> m.address().equals("10.0.0.7:9090")));
				assertThat(manager.isLeader()).isFalse();
				assertThat(manager.getClusterInfo().nodes()).extracting("nodeId").containsExactly("orders-1", "orders-2");
			});
	}

	@Test
	void electionAwaitingAGrpcServerThatNeverStartsJoinsOnceTheContextHasStarted() {
		GrpcServerFactory noServer = new GrpcServerFactory() {
			@Override
			public Server createServer() {
				return null;
			}

			@Override
			public void addService(ServerServiceDefinition service) {
			}
		};
		isolated()
			.withBean("neverStartingGrpcServerLifecycle", GrpcServerLifecycle.class,
					() -> new GrpcServerLifecycle(noServer, Duration.ZERO, (event) -> {
					}))
			.run((context) -> {
				EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
				await().atMost(Duration.ofSeconds(5)).until(manager::isLeader);
				assertThat(manager.getClusterInfo().leader().address()).isEmpty();
			});
	}

	@Test
	void clusterDisabledCreatesNoElection() {
		this.runner.withPropertyValues("grpc.scale.cluster.enabled=false").run((context) -> {
			assertThat(context).hasNotFailed()
				.doesNotHaveBean(LeaderElection.class)
				.hasSingleBean(LocalInstanceLifecycle.class)
				.doesNotHaveBean(ClusterHealthIndicator.class);
			assertThat(context.getBean(EnhancedServiceManager.class).getEnhancedServiceStatus().cluster()).isNull();
		});
	}

	@Test
	void userElectionReplacesTheConfiguredOne() {
		this.runner.withUserConfiguration(UserElectionConfiguration.class).run((context) -> {
			assertThat(context).doesNotHaveBean("inMemoryLeaderElection");
			assertThat(context.getBean(LeaderElection.class))
				.isSameAs(context.getBean(UserElectionConfiguration.class).election);
			assertThat(context).hasSingleBean(LeaderElection.class);
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			assertThat(manager.getClusterInfo().nodeId()).isEqualTo("user-node");
		});
	}

	@Test
	void etcdProviderWithoutJetcdStopsStartUpSayingWhatToAdd() {
		this.runner.withPropertyValues("grpc.scale.cluster.provider=etcd")
			.withClassLoader(new FilteredClassLoader("io.etcd.jetcd"))
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining(
						"grpc.scale.cluster.provider: 'etcd' (expected: io.etcd:jetcd-core on the classpath");
			});
	}

	@Test
	void unknownProviderStopsStartUpListingTheProviders() {
		this.runner.withPropertyValues("grpc.scale.cluster.provider=zookeeper").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(new InvalidGrpcScalePropertiesFailureAnalyzer().analyze(context.getStartupFailure())
				.getDescription()).contains("Property: grpc.scale.cluster.provider")
				.contains("Value: 'zookeeper'")
				.contains("Expected: one of memory, etcd, consul");
		});
	}

	@Test
	void heartbeatNotBelowElectionTimeoutStopsStartUp() {
		this.runner.withPropertyValues("grpc.scale.cluster.heartbeat-interval=2s").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.cluster.heartbeat-interval: 'PT2S' (expected: less than grpc.scale.cluster.election-timeout (PT1S))");
		});
	}

	@Test
	void applicationNameThatIsNoElectionNameStopsStartUpNamingElectionName() {
		this.runner.withPropertyValues("spring.application.name=order service").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.cluster.election-name: 'order service' (expected: letters, digits");
		});
	}

	@Test
	void everyLogLineNamesTheElectionTheSameWay(CapturedOutput output) {
		String name = "e-" + UUID.randomUUID();
		this.runner.withPropertyValues("grpc.scale.cluster.election-name=" + name).run((context) -> {
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			await().atMost(Duration.ofSeconds(5)).until(manager::isLeader);
		});
		List<String> lines = output.getAll().lines().filter((line) -> line.contains(name)).toList();
		assertThat(lines).anySatisfy((line) -> assertThat(line).contains("Leader election 'grpc-scale/" + name + "' runs on"))
			.anySatisfy((line) -> assertThat(line).contains("joins election 'grpc-scale/" + name + "'"))
			.anySatisfy((line) -> assertThat(line).contains("is leader of election 'grpc-scale/" + name + "'"))
			.anySatisfy((line) -> assertThat(line).contains("leaves election 'grpc-scale/" + name + "'"))
			.allSatisfy((line) -> assertThat(line).doesNotContain("'" + name + "'"));
	}

	@Test
	void twoContextsInOneJvmElectOneLeaderAndTheOtherTakesOverWhenTheLeaderCloses() {
		ApplicationContextRunner runner = isolated();
		runner.run((first) -> runner.run((second) -> {
			EnhancedServiceManager a = first.getBean(EnhancedServiceManager.class);
			EnhancedServiceManager b = second.getBean(EnhancedServiceManager.class);
			await().atMost(Duration.ofSeconds(5)).until(() -> a.isLeader() || b.isLeader());
			assertThat(a.isLeader() && b.isLeader()).isFalse();
			boolean firstLeads = a.isLeader();
			var leaderContext = firstLeads ? first : second;
			var followerContext = firstLeads ? second : first;
			EnhancedServiceManager follower = firstLeads ? b : a;
			long leaderToken = (firstLeads ? a : b).getClusterInfo().ownFencingToken();
			await().atMost(Duration.ofSeconds(5))
				.until(() -> follower.getClusterInfo().leader() != null
						&& follower.getClusterInfo().leader().fencingToken() == leaderToken);
			Health followerHealth = followerContext.getBean(ClusterHealthIndicator.class).health(true);
			assertThat(followerHealth.getStatus()).isEqualTo(Status.UP);
			assertThat(followerHealth.getDetails()).containsEntry("isLeader", false)
				.containsEntry("ownFencingToken", 0L)
				.containsEntry("highestFencingTokenSeen", leaderToken);
			LeadershipEventRecorder leaderEvents = leaderContext.getBean(LeadershipEventRecorder.class);
			LeadershipEventRecorder followerEvents = followerContext.getBean(LeadershipEventRecorder.class);

			leaderContext.close();

			assertThat(leaderEvents.kinds()).containsExactly("LeadershipGrantedEvent", "LeadershipRevokedEvent");
			assertThat(leaderEvents.events.get(1).getFencingToken()).isEqualTo(leaderToken);
			await().atMost(Duration.ofSeconds(5)).until(follower::isLeader);
			assertThat(follower.getClusterInfo().ownFencingToken()).isGreaterThan(leaderToken);
			await().atMost(Duration.ofSeconds(5)).until(() -> followerEvents.kinds().contains("LeadershipGrantedEvent"));
			assertThat(followerEvents.events.get(0).getFencingToken()).isGreaterThan(leaderToken);
			Health newLeaderHealth = followerContext.getBean(ClusterHealthIndicator.class).health(true);
			assertThat(newLeaderHealth.getDetails()).containsEntry("isLeader", true);
		}));
	}

	@Test
	void differentApplicationsDoNotShareAnElection() {
		this.runner.withPropertyValues("spring.application.name=app-" + UUID.randomUUID())
			.run((first) -> this.runner.withPropertyValues("spring.application.name=app-" + UUID.randomUUID())
				.run((second) -> {
					await().atMost(Duration.ofSeconds(5))
						.until(() -> first.getBean(LeaderElection.class).isLeader()
								&& second.getBean(LeaderElection.class).isLeader());
				}));
	}

	@Test
	void gracefulShutdownDeregistersBeforeLeadershipIsRevoked() {
		String namespace = TestServices.uniqueNamespace();
		List<String> log = new CopyOnWriteArrayList<>();
		try (InMemoryServiceRegistry observer = InMemoryServiceRegistry.shared(namespace)) {
			observer.watch("orders", (List<ServiceInstance> instances) -> log.add(instances.isEmpty() ? "deregistered" : "registered"));
			isolated().withPropertyValues("grpc.scale.service-discovery.memory.namespace=" + namespace)
				.withBean("orderedRecorder", LeadershipEventRecorder.class, () -> new LeadershipEventRecorder(log))
				.run((context) -> {
					EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
					await().atMost(Duration.ofSeconds(5)).until(manager::isLeader);
					manager.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090));
					await().atMost(Duration.ofSeconds(5)).until(() -> log.contains("registered"));
				});
		}
		// the watch may first report the empty service; what counts is the removal after the registration
		int registered = log.indexOf("registered");
		int deregistered = log.lastIndexOf("deregistered");
		assertThat(deregistered).as(log.toString()).isGreaterThan(registered);
		assertThat(indexStartingWith(log, "revoked:")).as(log.toString()).isGreaterThan(deregistered);
	}

	@Test
	void leaderTaskBeanRunsOnlyWhileThisNodeLeads() {
		isolated().withUserConfiguration(LeaderTaskConfiguration.class).run((context) -> {
			LeaderTaskConfiguration configuration = context.getBean(LeaderTaskConfiguration.class);
			await().atMost(Duration.ofSeconds(5)).until(() -> configuration.token.get() > 0);
			assertThat(configuration.token.get())
				.isEqualTo(context.getBean(EnhancedServiceManager.class).getClusterInfo().ownFencingToken());
			assertThat(context.getBean(LeaderTask.class).isRunning()).isTrue();
		});
	}

	private static int indexStartingWith(List<String> log, String prefix) {
		for (int i = 0; i < log.size(); i++) {
			if (log.get(i).startsWith(prefix)) {
				return i;
			}
		}
		return -1;
	}

	@Configuration(proxyBeanMethods = false)
	static class UserElectionConfiguration {

		final InMemoryLeaderElection election = InMemoryLeaderElection.shared(
				LeaderElectionSettings.builder().nodeId("user-node").electionName("user-" + UUID.randomUUID()).build());

		@Bean(destroyMethod = "close")
		LeaderElection userElection() {
			return this.election;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class LeaderTaskConfiguration {

		final AtomicLong token = new AtomicLong();

		@Bean(destroyMethod = "close")
		LeaderTask reconciler(LeaderElection election) {
			return LeaderTask.start(election, "reconciler", (fencingToken) -> {
				this.token.set(fencingToken);
				try {
					new CountDownLatch(1).await(); // works until leadership is revoked (interrupt)
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			});
		}

	}

}
