package dev.grpcscale.autoconfigure.discovery;
import java.util.List;
import java.util.Map;

import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannelBuilder;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientDefaultServiceConfigCustomizer;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.grpc.client.GrpcChannelBuilderCustomizer;
import org.springframework.boot.ssl.SslBundles;

import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.circuitbreaker.CircuitBreakerLoadBalancerProvider;
import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceRegistry;
import dev.grpcscale.discovery.consul.ConsulServiceRegistry;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;
import dev.grpcscale.discovery.kubernetes.KubernetesServiceDiscovery;

/**
 * Auto-configuration of service discovery: the backend named by
 * {@code grpc.scale.service-discovery.provider} ({@code memory}, {@code etcd} with
 * {@code io.etcd:jetcd-core} on the classpath, {@code consul} with Jackson 3 on the classpath, or {@code kubernetes}
 * with {@code io.fabric8:kubernetes-client} on the classpath), as a {@link ServiceRegistry} and {@link ServiceDiscovery}
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
		Client grpcScaleEtcdClient(GrpcScaleDiscoveryProperties properties, ObjectProvider<SslBundles> sslBundles) {
			return EtcdRegistryFactory.client(properties.getEtcd(), sslBundles.getIfAvailable());
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
		ConsulClient grpcScaleConsulClient(GrpcScaleDiscoveryProperties properties,
				ObjectProvider<SslBundles> sslBundles) {
			return ConsulRegistryFactory.client(properties.getConsul(), sslBundles.getIfAvailable());
		}

		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean({ ServiceRegistry.class, ServiceDiscovery.class })
		ConsulServiceRegistry consulServiceRegistry(GrpcScaleDiscoveryProperties properties, ConsulClient consulClient) {
			return ConsulRegistryFactory.create(properties.getConsul(), consulClient);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.fabric8.kubernetes.client.KubernetesClient")
	@ConditionalOnProperty(name = "grpc.scale.service-discovery.provider", havingValue = "kubernetes")
	static class KubernetesDiscoveryConfiguration {

		/**
		 * Discovery from EndpointSlices on the application's {@code KubernetesClient}
		 * ({@code GrpcScaleKubernetesAutoConfiguration}); also the {@link ServiceRegistry}, which registers
		 * nothing: the pod's readiness does.
		 */
		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean({ ServiceRegistry.class, ServiceDiscovery.class })
		KubernetesServiceDiscovery kubernetesServiceDiscovery(GrpcScaleDiscoveryProperties properties,
				KubernetesClient kubernetesClient) {
			return KubernetesDiscoveryFactory.create(properties.getKubernetes(), kubernetesClient);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(GrpcChannelBuilderCustomizer.class)
	static class ChannelConfiguration {

		/**
		 * Binds every channel builder to this application's primary {@link ServiceDiscovery} (the
		 * health-checking one when health checking is enabled, which leaves out unhealthy instances while
		 * the application runs), so its {@code discovery:///} targets resolve against it, with the authority
		 * {@code grpc.scale.service-discovery.authority.<service>} names. Channels are built after customizer
		 * beans exist, so the JVM-wide provider is registered here, before any channel. The customizer
		 * receives what the channel was asked for: a target, or the name of a configured channel, whose
		 * target is {@code spring.grpc.client.channel.<name>.target}.
		 */
		@Bean
		@ConditionalOnMissingBean(name = "discoveryGrpcChannelBuilderCustomizer")
		<T extends ManagedChannelBuilder<T>> GrpcChannelBuilderCustomizer<T> discoveryGrpcChannelBuilderCustomizer(
				ObjectProvider<ServiceDiscovery> discovery, GrpcScaleDiscoveryProperties properties,
				Environment environment) {
			DiscoveryNameResolverProvider.registerDefault();
			return (requested, builder) -> {
				DiscoveryNameResolverProvider.configure(builder, discovery.getObject());
				String service = DiscoveryChannels.serviceName(environment, requested);
				if (service != null) {
					// the default service config, its policy wrapped below, applies instead of the resolver's
					builder.disableServiceConfigLookUp();
				}
				String authority = (service != null) ? properties.getAuthority().get(service) : null;
				if (DiscoveryAuthority.INSTANCE_HOST.equals(authority)) {
					DiscoveryNameResolverProvider.useInstanceHostAsAuthority(builder);
				}
				else if (authority != null) {
					builder.overrideAuthority(authority);
				}
			};
		}

		@Configuration(proxyBeanMethods = false)
		@ConditionalOnClass(GrpcClientDefaultServiceConfigCustomizer.class)
		static class ServiceConfigConfiguration {

			/**
			 * Makes a {@code discovery:///} channel's policy (its {@code service-config} load balancing, else
			 * its {@code default.load-balancing-policy}, else {@code round_robin}) the child of
			 * {@code grpc_scale_round_robin}, keeping the rest of its service config (retry policies,
			 * {@code healthCheckConfig}). Runs after other customizers. A child policy gRPC cannot parse is
			 * left as is, so the channel reports it as it would without grpc-scale.
			 */
			@Bean
			@Order(Ordered.LOWEST_PRECEDENCE)
			@ConditionalOnMissingBean(name = "discoveryGrpcClientDefaultServiceConfigCustomizer")
			GrpcClientDefaultServiceConfigCustomizer discoveryGrpcClientDefaultServiceConfigCustomizer(
					Environment environment, ObjectProvider<GrpcClientProperties> clientProperties) {
				CircuitBreakerLoadBalancerProvider.registerDefault();
				return (requested, serviceConfig) -> {
					if (DiscoveryChannels.serviceName(environment, requested) == null) {
						return;
					}
					Map<String, Object> wrapped = CircuitBreakerLoadBalancerProvider.wrapServiceConfig(serviceConfig,
							defaultPolicy(clientProperties.getIfAvailable(), requested));
					if (parses(wrapped)) {
						serviceConfig.clear();
						serviceConfig.putAll(wrapped);
					}
				};
			}

			/** The policy Boot gives the channel with {@code defaultLoadBalancingPolicy}. */
			private static String defaultPolicy(@Nullable GrpcClientProperties properties, String requested) {
				GrpcClientProperties.Channel channel = (properties != null) ? properties.getChannel().get(requested)
						: null;
				if (channel == null && properties != null) {
					channel = properties.getChannel().get("default");
				}
				String policy = (channel != null) ? channel.getDefault().getLoadBalancingPolicy() : null;
				return (policy != null && !policy.isBlank()) ? policy : "round_robin";
			}

			private static boolean parses(Map<String, Object> serviceConfig) {
				Object policies = serviceConfig.get("loadBalancingConfig");
				LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry()
					.getProvider(CircuitBreakerLoadBalancerProvider.POLICY_NAME);
				if (provider == null || !(policies instanceof List<?> list) || list.isEmpty()
						|| !(list.get(0) instanceof Map<?, ?> first)
						|| !(first.get(CircuitBreakerLoadBalancerProvider.POLICY_NAME) instanceof Map<?, ?> config)) {
					return false;
				}
				@SuppressWarnings("unchecked")
				Map<String, ?> raw = (Map<String, ?>) config;
				return provider.parseLoadBalancingPolicyConfig(raw).getError() == null;
			}

		}

	}

}
