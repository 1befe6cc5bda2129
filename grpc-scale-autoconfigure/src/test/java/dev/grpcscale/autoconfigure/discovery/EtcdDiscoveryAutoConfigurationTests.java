package dev.grpcscale.autoconfigure.discovery;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.grpc.ManagedChannel;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.client.GrpcChannelFactory;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;
import dev.grpcscale.test.etcd.EtcdCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The etcd provider chosen by {@code grpc.scale.service-discovery.provider=etcd}, against a real etcd.
 */
class EtcdDiscoveryAutoConfigurationTests {

	private static EtcdCluster etcd;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(GrpcScaleAutoConfiguration.class, GrpcScaleDiscoveryAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders", "grpc.scale.service-discovery.provider=etcd");

	@BeforeAll
	static void startEtcd() {
		etcd = EtcdCluster.startSingle();
	}

	@AfterAll
	static void stopEtcd() {
		etcd.close();
	}

	@Test
	void etcdProviderRegistersIntoEtcdUnderTheConfiguredNamespace() {
		String namespace = "/it-" + System.nanoTime();
		this.runner.withPropertyValues(etcdProperties(namespace)).run((context) -> {
			assertThat(context).hasSingleBean(EtcdServiceRegistry.class).doesNotHaveBean(InMemoryServiceRegistry.class);
			EtcdServiceRegistry registry = context.getBean(EtcdServiceRegistry.class);
			assertThat(registry.namespace()).isEqualTo(namespace);
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			manager.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090));
			await().atMost(Duration.ofSeconds(5)).until(() -> manager.discoverServices("orders").size() == 1);
			assertThat(manager.getEnhancedServiceStatus().discovery().backend().provider()).isEqualTo("etcd");
			assertThat(manager.getEnhancedServiceStatus().discovery().backend().reachable()).isTrue();
		});
	}

	@Test
	void invalidEtcdSettingStopsStartUpNamingTheProperty() {
		this.runner.withPropertyValues("grpc.scale.service-discovery.etcd.lease-ttl=0s").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure())
				.hasStackTraceContaining("grpc.scale.service-discovery.etcd.lease-ttl: 'PT0S' (expected: >= 1s)");
		});
	}

	@Test
	void etcdProviderWithoutJetcdStopsStartUpSayingWhatToAdd() {
		this.runner.withClassLoader(new FilteredClassLoader("io.etcd.jetcd")).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.service-discovery.provider: 'etcd' (expected: io.etcd:jetcd-core on the classpath");
		});
	}

	@Test
	void servicesDiscoverEachOtherThroughEtcdOverRealNetty() {
		String namespace = "/e2e-" + System.nanoTime();
		ConfigurableApplicationContext server = TestServices.startServer("product-service", "p-etcd", "unused",
				etcdProperties(namespace));
		ConfigurableApplicationContext client = TestServices.startClient("unused", etcdProperties(namespace));
		ManagedChannel channel = client.getBean(GrpcChannelFactory.class).createChannel("discovery:///product-service");
		try {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			client.getBean(ServiceDiscovery.class).watch("product-service", seen::add);
			await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty() && seen.get(seen.size() - 1).size() == 1);
			String answer = SimpleServiceGrpc.newBlockingStub(channel)
				.withDeadlineAfter(Duration.ofSeconds(5))
				.unaryRpc(SimpleRequest.getDefaultInstance())
				.getResponseMessage();
			assertThat(answer).isEqualTo("p-etcd");
			server.close();
			// the graceful shutdown deleted the key: the watcher sees it long before any lease expiry
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.get(seen.size() - 1).isEmpty());
		}
		finally {
			channel.shutdownNow();
			client.close();
			server.close();
		}
	}

	private static String[] etcdProperties(String namespace) {
		return new String[] { "grpc.scale.service-discovery.provider=etcd",
				"grpc.scale.service-discovery.etcd.endpoints=" + String.join(",", etcd.clientEndpoints()),
				"grpc.scale.service-discovery.etcd.namespace=" + namespace };
	}

}
