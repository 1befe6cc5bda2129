package dev.grpcscale.autoconfigure;

import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.GrpcChannelBuilderCustomizer;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.LocalInstance;
import dev.grpcscale.Subscription;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.ServiceRegistry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class GrpcScaleAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(GrpcScaleAutoConfiguration.class, GrpcScaleDiscoveryAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders",
				"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace());

	@Test
	void defaultsGiveMemoryDiscoveryManagerRegistrarShutdownAndChannelCustomizer() {
		this.runner.run((context) -> {
			assertThat(context).hasSingleBean(EnhancedServiceManager.class)
				.hasSingleBean(InMemoryServiceRegistry.class)
				.hasSingleBean(LocalInstance.class)
				.hasSingleBean(LocalInstanceLifecycle.class)
				.hasBean("discoveryGrpcChannelBuilderCustomizer");
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			manager.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090));
			assertThat(context.getBean(ServiceDiscovery.class).getInstances("orders")).hasSize(1);
			assertThat(manager.getEnhancedServiceStatus().discovery().backend().provider()).isEqualTo("memory");
		});
	}

	@Test
	void closingTheContextRunsGracefulShutdownAndDeregisters() {
		String namespace = TestServices.uniqueNamespace();
		try (InMemoryServiceRegistry observer = InMemoryServiceRegistry.shared(namespace)) {
			this.runner.withPropertyValues("grpc.scale.service-discovery.memory.namespace=" + namespace)
				.run((context) -> {
					context.getBean(EnhancedServiceManager.class)
						.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090));
					assertThat(observer.getInstances("orders")).hasSize(1);
				});
			assertThat(observer.getInstances("orders")).isEmpty();
		}
	}

	@Test
	void discoveryDisabledLeavesNoBackendAndManagerSaysSo() {
		this.runner.withPropertyValues("grpc.scale.service-discovery.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(ServiceRegistry.class)
				.doesNotHaveBean(ServiceDiscovery.class)
				.doesNotHaveBean("discoveryGrpcChannelBuilderCustomizer")
				.hasSingleBean(EnhancedServiceManager.class);
			assertThatIllegalStateException()
				.isThrownBy(() -> context.getBean(EnhancedServiceManager.class).discoverServices("x"));
		});
	}

	@Test
	void userManagerReplacesTheAutoConfiguredOne() {
		this.runner.withUserConfiguration(UserManagerConfiguration.class).run((context) -> assertThat(context)
			.getBean(EnhancedServiceManager.class)
			.isSameAs(context.getBean(UserManagerConfiguration.class).manager));
	}

	@Test
	void userDiscoveryReplacesTheMemoryBackendAndFeedsTheManager() {
		this.runner.withUserConfiguration(UserDiscoveryConfiguration.class).run((context) -> {
			assertThat(context).doesNotHaveBean(InMemoryServiceRegistry.class);
			assertThat(context.getBean(ServiceDiscovery.class)).isSameAs(UserDiscoveryConfiguration.DISCOVERY);
			assertThat(context.getBean(EnhancedServiceManager.class).getEnhancedServiceStatus().discovery().backend()
				.provider()).isEqualTo("custom");
		});
	}

	@Test
	void withoutSpringGrpcServerTheInstanceStartsWithTheContextAndRegistersNothing() {
		this.runner.withClassLoader(new FilteredClassLoader(GrpcServerStartedEvent.class))
			.run((context) -> {
				assertThat(context).hasSingleBean(EnhancedServiceManager.class)
					.doesNotHaveBean("grpcScaleServerStartedListener");
				assertThat(context.getBean(LocalInstance.class).state()).isEqualTo(LocalInstance.State.STARTED);
				assertThat(context.getBean(LocalInstance.class).registered()).isEmpty();
			});
	}

	@Test
	void withoutSpringGrpcClientThereIsNoChannelCustomizer() {
		this.runner.withClassLoader(new FilteredClassLoader(GrpcChannelBuilderCustomizer.class))
			.run((context) -> assertThat(context).hasSingleBean(InMemoryServiceRegistry.class)
				.doesNotHaveBean("discoveryGrpcChannelBuilderCustomizer"));
	}

	@Configuration(proxyBeanMethods = false)
	static class UserManagerConfiguration {

		final EnhancedServiceManager manager = EnhancedServiceManager.builder().build();

		@Bean
		EnhancedServiceManager userManager() {
			return this.manager;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserDiscoveryConfiguration {

		static final ServiceDiscovery DISCOVERY = new ServiceDiscovery() {
			@Override
			public List<ServiceInstance> getInstances(String serviceName) {
				return List.of();
			}

			@Override
			public List<ServiceInstance> getAllInstances(String serviceName) {
				return List.of();
			}

			@Override
			public Set<String> getServiceNames() {
				return Set.of();
			}

			@Override
			public Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
				listener.accept(List.of());
				return () -> {
				};
			}

			@Override
			public DiscoveryStatus status() {
				return new DiscoveryStatus("custom", true, java.util.Map.of());
			}
		};

		@Bean
		ServiceDiscovery userDiscovery() {
			return DISCOVERY;
		}

	}

}
