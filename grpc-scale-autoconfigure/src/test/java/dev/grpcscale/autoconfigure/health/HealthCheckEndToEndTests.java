package dev.grpcscale.autoconfigure.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.client.GrpcChannelFactory;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;
import dev.grpcscale.health.InstanceHealth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Health monitoring as the starter runs it: started with the application from
 * {@code grpc.scale.health-check.*}, feeding {@code discoverServices} and {@code discovery:///} channels.
 */
class HealthCheckEndToEndTests {

	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	@AfterEach
	void close() {
		this.contexts.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void monitoringRunsWithTheApplicationAndStopsWithIt() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
					GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleHealthCheckAutoConfiguration.class))
			.withPropertyValues("grpc.scale.health-check.interval=2s", "grpc.scale.health-check.retries=4",
					"grpc.scale.health-check.panic.threshold=25",
					"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace())
			.run((context) -> {
				EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
				assertThat(manager.getHealthMonitor()).isNotNull();
				assertThat(manager.getHealthMonitor().options().interval()).isEqualTo(Duration.ofSeconds(2));
				assertThat(manager.getHealthMonitor().options().retries()).isEqualTo(4);
				assertThat(manager.getHealthMonitor().options().panicMode()).isTrue();
				assertThat(manager.getHealthMonitor().options().panicThreshold()).isEqualTo(25.0);
				context.stop();
				assertThat(manager.getHealthMonitor()).isNull();
			});
	}

	@Test
	void oneHealthCheckingDiscoveryBeanIsWhatEveryReaderGetsAndItPausesAndResumesWithTheContext() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
					GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleHealthCheckAutoConfiguration.class))
			.withPropertyValues("grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace())
			.run((context) -> {
				HealthCheckingServiceDiscovery decorator = context.getBean(HealthCheckingServiceDiscovery.class);
				assertThat(decorator.delegate()).isSameAs(context.getBean(InMemoryServiceRegistry.class));
				assertThat(context.getBean(ServiceDiscovery.class)).isSameAs(decorator);
				EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
				assertThat(manager.serviceDiscovery()).isSameAs(decorator);
				assertThat(decorator.isRunning()).isTrue();
				context.stop();
				assertThat(decorator.isRunning()).isFalse();
				assertThat(decorator.isClosed()).isFalse();
				context.start();
				assertThat(decorator.isRunning()).isTrue();
				assertThat(manager.serviceDiscovery()).isSameAs(decorator);
			});
	}

	@Test
	void disabledStartsNoMonitoringAndBadValueNamesTheProperty() {
		ApplicationContextRunner runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
					GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleHealthCheckAutoConfiguration.class))
			.withPropertyValues("grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace());
		runner.withPropertyValues("grpc.scale.health-check.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(GrpcScaleHealthMonitoring.class);
			assertThat(context.getBean(EnhancedServiceManager.class).getHealthMonitor()).isNull();
		});
		runner.withPropertyValues("grpc.scale.health-check.retries=0")
			.run((context) -> assertThat(context.getStartupFailure())
				.hasStackTraceContaining("grpc.scale.health-check.retries: '0' (expected: >= 1)"));
		runner.withPropertyValues("grpc.scale.health-check.panic.threshold=150")
			.run((context) -> assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.health-check.panic.threshold: '150.0' (expected: a percentage from 0 to 100)"));
		runner.withPropertyValues("grpc.scale.health-check.panic.enabled=false")
			.run((context) -> assertThat(context.getBean(HealthCheckingServiceDiscovery.class).options().panicMode())
				.isFalse());
	}

	@Test
	void instanceThatTurnsNotServingLeavesDiscoveryAndChannelsThenReturns() {
		String namespace = TestServices.uniqueNamespace();
		this.contexts.add(TestServices.startServer("product-service", "a", namespace));
		ConfigurableApplicationContext b = TestServices.startServer("product-service", "b", namespace);
		this.contexts.add(b);
		ConfigurableApplicationContext client = TestServices.startClient(namespace,
				"grpc.scale.health-check.interval=200ms", "grpc.scale.health-check.timeout=150ms",
				"grpc.scale.health-check.retries=2");
		this.contexts.add(client);
		EnhancedServiceManager manager = client.getBean(EnhancedServiceManager.class);
		ManagedChannel channel = client.getBean(GrpcChannelFactory.class).createChannel("discovery:///product-service");
		try {
			SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel);
			// with a 150 ms probe timeout a cold JVM's first probe (connection set-up included) may fail
			// once; it does not matter here, both instances are up again at the next probe
			await().atMost(Duration.ofSeconds(10))
				.until(() -> manager.discoverServices("product-service").size() == 2 && TestServices.answers(stub, 4).size() == 2);

			b.getBean(HealthStatusManager.class).setStatus("", ServingStatus.NOT_SERVING);
			await().atMost(Duration.ofSeconds(5)).until(() -> manager.discoverServices("product-service").size() == 1);
			assertThat(manager.discoverServices("product-service")).extracting(ServiceInstance::port)
				.containsExactly(port(this.contexts.get(0)));
			assertThat(TestServices.answers(stub, 10)).containsExactly("a");
			assertThat(manager.getEnhancedServiceStatus().health().instances())
				.anySatisfy((health) -> assertThat(health.isUp()).isFalse());

			b.getBean(HealthStatusManager.class).setStatus("", ServingStatus.SERVING);
			await().atMost(Duration.ofSeconds(5)).until(() -> TestServices.answers(stub, 4).size() == 2);
			assertThat(manager.getEnhancedServiceStatus().health().instances()).allMatch(InstanceHealth::isUp);
		}
		finally {
			channel.shutdownNow();
		}
	}

	private static int port(ConfigurableApplicationContext context) {
		return Integer.parseInt(context.getEnvironment().getProperty("local.grpc.server.port"));
	}

}
