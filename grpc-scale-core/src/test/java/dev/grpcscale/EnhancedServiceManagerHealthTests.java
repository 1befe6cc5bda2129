package dev.grpcscale;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.health.HealthCheckOptions;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;
import dev.grpcscale.health.InstanceHealth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/** {@link EnhancedServiceManager}'s health-monitoring facade, over real Netty and the default channel factory. */
class EnhancedServiceManagerHealthTests {

	private static final HealthCheckOptions OPTIONS = HealthCheckOptions.builder()
		.interval(Duration.ofMillis(50))
		.timeout(Duration.ofSeconds(1))
		.retries(2)
		.build();

	private final InMemoryServiceRegistry registry = InMemoryServiceRegistry.create();

	private final HealthStatusManager health = new HealthStatusManager();

	private Server server;

	private EnhancedServiceManager manager;

	@BeforeEach
	void start() throws IOException {
		this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.addService(this.health.getHealthService())
			.build()
			.start();
		this.manager = EnhancedServiceManager.builder().serviceRegistry(this.registry).serviceDiscovery(this.registry).build();
		this.manager.registerServiceWithDiscovery(
				ServiceDefinition.builder("svc").instanceId("a").port(this.server.getPort()).build());
	}

	@AfterEach
	void stop() {
		this.manager.stopHealthMonitoring();
		this.server.shutdownNow();
		this.registry.close();
	}

	@Test
	void healthMonitoringHidesFailingInstancesFromDiscoveryAndReportsThemInTheStatus() {
		assertThat(this.manager.getEnhancedServiceStatus().health()).isNull();
		HealthCheckingServiceDiscovery monitor = this.manager.startHealthMonitoring(OPTIONS);
		assertThat(this.manager.getHealthMonitor()).isSameAs(monitor);
		assertThat(this.manager.discoverServices("svc")).extracting(ServiceInstance::instanceId).containsExactly("a");
		await().atMost(Duration.ofSeconds(10))
			.until(() -> this.manager.getEnhancedServiceStatus().health().instances().stream()
				.anyMatch(InstanceHealth::lastCheckSucceeded));

		this.health.setStatus("", ServingStatus.NOT_SERVING);
		await().atMost(Duration.ofSeconds(10)).until(() -> this.manager.discoverServices("svc").isEmpty());
		EnhancedServiceStatus.Health section = this.manager.getEnhancedServiceStatus().health();
		assertThat(section.options()).isEqualTo(OPTIONS);
		assertThat(section.instances()).singleElement().satisfies((instance) -> {
			assertThat(instance.instanceId()).isEqualTo("a");
			assertThat(instance.status()).isEqualTo(InstanceStatus.DOWN);
			assertThat(instance.consecutiveFailures()).isGreaterThanOrEqualTo(2);
			assertThat(instance.lastError()).isEqualTo("NOT_SERVING");
		});
		assertThat(this.manager.getAllServices().get("svc")).extracting(ServiceInstance::status)
			.containsExactly(InstanceStatus.DOWN);

		assertThat(this.manager.stopHealthMonitoring()).isTrue();
		assertThat(monitor.isClosed()).isFalse();
		assertThat(monitor.isRunning()).isFalse();
		assertThat(this.manager.getHealthMonitor()).isNull();
		assertThat(this.manager.getEnhancedServiceStatus().health()).isNull();
		assertThat(this.manager.discoverServices("svc")).extracting(ServiceInstance::instanceId).containsExactly("a");
		assertThat(this.manager.stopHealthMonitoring()).isFalse();
	}

	@Test
	void startingAgainKeepsTheSameMonitorWithTheNewOptions() {
		HealthCheckingServiceDiscovery first = this.manager.startHealthMonitoring(OPTIONS);
		HealthCheckOptions slower = OPTIONS.toBuilder().interval(Duration.ofSeconds(1)).build();
		HealthCheckingServiceDiscovery second = this.manager.startHealthMonitoring(slower);
		assertThat(second).isSameAs(first).isSameAs(this.manager.serviceDiscovery());
		assertThat(second.isRunning()).isTrue();
		assertThat(second.options()).isEqualTo(slower);
	}

	@Test
	void watchesFollowHealthMonitoringBeingStoppedAndStartedWithoutBeingMoved() {
		java.util.List<java.util.List<ServiceInstance>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
		this.manager.watchServiceChanges("svc", seen::add);
		this.manager.startHealthMonitoring(OPTIONS);
		this.health.setStatus("", ServingStatus.NOT_SERVING);
		await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty() && seen.get(seen.size() - 1).isEmpty());

		this.manager.stopHealthMonitoring();
		await().atMost(Duration.ofSeconds(10))
			.until(() -> seen.get(seen.size() - 1).size() == 1);

		this.manager.startHealthMonitoring(OPTIONS);
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.get(seen.size() - 1).isEmpty());
	}

	@Test
	void healthCheckingDiscoveryFromTheBuilderIsTheOneMonitoringResumes() {
		HealthCheckingServiceDiscovery custom = HealthCheckingServiceDiscovery.builder(this.registry)
			.options(OPTIONS)
			.paused(true)
			.build();
		EnhancedServiceManager withCustom = EnhancedServiceManager.builder().serviceDiscovery(custom).build();
		assertThat(withCustom.serviceDiscovery()).isSameAs(custom);
		assertThat(withCustom.getHealthMonitor()).isNull();
		assertThat(withCustom.startHealthMonitoring(OPTIONS)).isSameAs(custom);
		assertThat(custom.isRunning()).isTrue();
		withCustom.stopHealthMonitoring();
		assertThat(custom.isRunning()).isFalse();
		assertThat(custom.isClosed()).isFalse();
		custom.close();
	}

	@Test
	void startingHealthMonitoringWithoutDiscoveryFailsWithAnExplanation() {
		assertThatIllegalStateException()
			.isThrownBy(() -> EnhancedServiceManager.builder().build().startHealthMonitoring(OPTIONS))
			.withMessageContaining("no ServiceDiscovery configured");
	}

}
