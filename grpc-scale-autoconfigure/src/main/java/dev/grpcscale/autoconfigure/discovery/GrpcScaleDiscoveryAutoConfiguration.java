package dev.grpcscale.autoconfigure.discovery;

import io.grpc.ManagedChannelBuilder;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.GrpcChannelBuilderCustomizer;

import dev.grpcscale.autoconfigure.GrpcScaleProperties;
import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceRegistry;
import dev.grpcscale.discovery.consul.ConsulServiceRegistry;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;

/**
 * Auto-configuration of service discovery: the backend named by
 * {@code grpc.scale.service-discovery.provider} ({@code memory}, {@code etcd} with
 * {@code io.etcd:jetcd-core} on the classpath, or {@code consul} with Jackson 3 on the classpath), as a {@link ServiceRegistry} and {@link ServiceDiscovery}
 * bean, and, with Boot's gRPC client, the {@code discovery:///<service>} targets of every channel made by
 * {@code GrpcChannelFactory} or {@code @ImportGrpcClients}.
 */
@AutoConfiguration(beforeName = "org.springframework.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration")
@ConditionalOnBooleanProperty(name = "grpc.scale.service-discovery.enabled", matchIfMissing = true)
@EnableConfigurationProperties(GrpcScaleProperties.class)
public final class GrpcScaleDiscoveryAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(name = "grpc.scale.service-discovery.provider", havingValue = "memory",
			matchIfMissing = true)
	static class MemoryDiscoveryConfiguration {

		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean({ ServiceRegistry.class, ServiceDiscovery.class })
		InMemoryServiceRegistry inMemoryServiceRegistry(GrpcScaleProperties properties) {
			return InMemoryServiceRegistry.shared(properties.getServiceDiscovery().getMemory().getNamespace());
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.etcd.jetcd.Client")
	@ConditionalOnProperty(name = "grpc.scale.service-discovery.provider", havingValue = "etcd")
	static class EtcdDiscoveryConfiguration {

		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean({ ServiceRegistry.class, ServiceDiscovery.class })
		EtcdServiceRegistry etcdServiceRegistry(GrpcScaleProperties properties) {
			return EtcdRegistryFactory.create(properties.getServiceDiscovery().getEtcd(),
					"grpc.scale.service-discovery.etcd.");
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "tools.jackson.databind.ObjectMapper")
	@ConditionalOnProperty(name = "grpc.scale.service-discovery.provider", havingValue = "consul")
	static class ConsulDiscoveryConfiguration {

		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean({ ServiceRegistry.class, ServiceDiscovery.class })
		ConsulServiceRegistry consulServiceRegistry(GrpcScaleProperties properties) {
			return ConsulRegistryFactory.create(properties.getServiceDiscovery().getConsul());
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(GrpcChannelBuilderCustomizer.class)
	static class ChannelConfiguration {

		/**
		 * Binds every channel builder to this application's primary {@link ServiceDiscovery} (the
		 * health-checking one when health checking is enabled, which leaves out unhealthy instances while
		 * the application runs), so its {@code discovery:///} targets resolve against it. Channels are built
		 * after customizer beans exist, so the JVM-wide provider is registered here, before any channel.
		 */
		@Bean
		@ConditionalOnMissingBean(name = "discoveryGrpcChannelBuilderCustomizer")
		<T extends ManagedChannelBuilder<T>> GrpcChannelBuilderCustomizer<T> discoveryGrpcChannelBuilderCustomizer(
				ObjectProvider<ServiceDiscovery> discovery) {
			DiscoveryNameResolverProvider.registerDefault();
			return (target, builder) -> DiscoveryNameResolverProvider.configure(builder, discovery.getObject());
		}

	}

}
