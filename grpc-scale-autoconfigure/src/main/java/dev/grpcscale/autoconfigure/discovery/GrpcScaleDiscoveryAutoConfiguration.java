package dev.grpcscale.autoconfigure.discovery;

import io.etcd.jetcd.Client;
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

import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.consul.ConsulClient;
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
 * bean (etcd and Consul on the application's one backend client, a {@code Client} bean
 * {@code grpcScaleEtcdClient} or a {@code ConsulClient} bean {@code grpcScaleConsulClient}, which the cluster's
 * election of the same backend shares; define your own bean of that type to replace it), and, with Boot's gRPC
 * client, the {@code discovery:///<service>} targets of every channel made by
 * {@code GrpcChannelFactory} or {@code @ImportGrpcClients}.
 */
@AutoConfiguration(beforeName = "org.springframework.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration")
@ConditionalOnBooleanProperty(name = "grpc.scale.service-discovery.enabled", matchIfMissing = true)
@EnableConfigurationProperties(GrpcScaleDiscoveryProperties.class)
public final class GrpcScaleDiscoveryAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(name = "grpc.scale.service-discovery.provider", havingValue = "memory",
			matchIfMissing = true)
	static class MemoryDiscoveryConfiguration {

		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean({ ServiceRegistry.class, ServiceDiscovery.class })
		InMemoryServiceRegistry inMemoryServiceRegistry(GrpcScaleDiscoveryProperties properties) {
			return InMemoryServiceRegistry.shared(properties.getMemory().getNamespace());
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.etcd.jetcd.Client")
	@ConditionalOnProperty(name = "grpc.scale.service-discovery.provider", havingValue = "etcd")
	static class EtcdDiscoveryConfiguration {

		/**
		 * The application's one jetcd client, on {@code grpc.scale.service-discovery.etcd.*}: the registry and
		 * the etcd cluster provider share it, and it is closed after both.
		 */
		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean(Client.class)
		Client grpcScaleEtcdClient(GrpcScaleDiscoveryProperties properties) {
			return EtcdRegistryFactory.client(properties.getEtcd());
		}

		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean({ ServiceRegistry.class, ServiceDiscovery.class })
		EtcdServiceRegistry etcdServiceRegistry(GrpcScaleDiscoveryProperties properties, Client etcdClient) {
			return EtcdRegistryFactory.create(properties.getEtcd(), etcdClient);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "tools.jackson.databind.ObjectMapper")
	@ConditionalOnProperty(name = "grpc.scale.service-discovery.provider", havingValue = "consul")
	static class ConsulDiscoveryConfiguration {

		/**
		 * The application's one Consul client, on {@code grpc.scale.service-discovery.consul.*}: the registry and
		 * the Consul cluster provider share it, and it is closed after both.
		 */
		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean(ConsulClient.class)
		ConsulClient grpcScaleConsulClient(GrpcScaleDiscoveryProperties properties) {
			return ConsulRegistryFactory.client(properties.getConsul());
		}

		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean({ ServiceRegistry.class, ServiceDiscovery.class })
		ConsulServiceRegistry consulServiceRegistry(GrpcScaleDiscoveryProperties properties, ConsulClient consulClient) {
			return ConsulRegistryFactory.create(properties.getConsul(), consulClient);
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
