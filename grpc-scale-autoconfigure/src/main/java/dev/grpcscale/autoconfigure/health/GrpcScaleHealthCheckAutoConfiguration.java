package dev.grpcscale.autoconfigure.health;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.grpc.client.ChannelCredentialsProvider;

import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.autoconfigure.GrpcScaleHealthCheckProperties;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.health.HealthCheckListener;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;

/**
 * Auto-configuration of client-side health checking: with discovery and
 * {@code grpc.scale.health-check.enabled} (the default), a {@link HealthCheckingServiceDiscovery} bean
 * decorates the discovery backend and is the primary {@link ServiceDiscovery}: the {@code discovery:///}
 * resolver, the Actuator endpoint, the health indicators and the {@code EnhancedServiceManager} all read
 * it. While the application runs ({@link GrpcScaleHealthMonitoring}), the instances of the services this
 * application calls are probed with {@code grpc.health.v1.Health/Check} every {@code interval}, and those
 * that failed {@code retries} probes in a row leave discovery results and load balancing until a probe
 * succeeds. Probes use the transport security of the calls ({@link ProbeChannelFactory}).
 */
@AutoConfiguration(after = GrpcScaleDiscoveryAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration" })
@ConditionalOnBooleanProperty(name = "grpc.scale.health-check.enabled", matchIfMissing = true)
@EnableConfigurationProperties(GrpcScaleHealthCheckProperties.class)
public final class GrpcScaleHealthCheckAutoConfiguration {

	private static final String HEALTH_CHECKING_DISCOVERY = "healthCheckingServiceDiscovery";

	/**
	 * Decorates the discovery backend (the one other {@link ServiceDiscovery} bean), paused until
	 * {@link GrpcScaleHealthMonitoring} resumes it as the application starts; closed with the context,
	 * before the backend it reads.
	 */
	@Bean(name = HEALTH_CHECKING_DISCOVERY, destroyMethod = "close")
	@Primary
	@ConditionalOnMissingBean(HealthCheckingServiceDiscovery.class)
	@ConditionalOnBean(ServiceDiscovery.class)
	HealthCheckingServiceDiscovery healthCheckingServiceDiscovery(ListableBeanFactory beanFactory,
			GrpcScaleHealthCheckProperties properties, ObjectProvider<ProbeChannelFactory> channels,
			ObjectProvider<HealthCheckListener> listeners) {
		HealthCheckingServiceDiscovery.Builder builder = HealthCheckingServiceDiscovery.builder(backend(beanFactory))
			.options(HealthCheckOptionsMapper.map(properties))
			.paused(true);
		ProbeChannelFactory channelFactory = channels.getIfAvailable();
		if (channelFactory != null) {
			builder.channelFactory(channelFactory);
		}
		HealthCheckingServiceDiscovery discovery = builder.build();
		listeners.orderedStream().forEach(discovery::addListener);
		return discovery;
	}

	/** The discovery the decorator reads: the one {@link ServiceDiscovery} bean that is not the decorator. */
	private static ServiceDiscovery backend(ListableBeanFactory beanFactory) {
		List<String> names = Arrays.stream(beanFactory.getBeanNamesForType(ServiceDiscovery.class))
			.filter((name) -> !name.equals(HEALTH_CHECKING_DISCOVERY))
			.toList();
		if (names.size() != 1) {
			throw new IllegalStateException("Health checking decorates exactly one ServiceDiscovery bean, found "
					+ names + "; define a HealthCheckingServiceDiscovery bean of your own, or set "
					+ "grpc.scale.health-check.enabled=false");
		}
		return beanFactory.getBean(names.get(0), ServiceDiscovery.class);
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(HealthCheckingServiceDiscovery.class)
	GrpcScaleHealthMonitoring grpcScaleHealthMonitoring(HealthCheckingServiceDiscovery discovery) {
		return new GrpcScaleHealthMonitoring(discovery);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ ChannelCredentialsProvider.class, GrpcClientProperties.class })
	static class ProbeChannelConfiguration {

		/** Probe channels with the credentials Boot gives the call channels of each service. */
		@Bean
		@ConditionalOnMissingBean
		@ConditionalOnBean(ChannelCredentialsProvider.class)
		ProbeChannelFactory grpcScaleProbeChannelFactory(ChannelCredentialsProvider credentials,
				ObjectProvider<GrpcClientProperties> clientProperties,
				ObjectProvider<GrpcScaleDiscoveryProperties> discoveryProperties) {
			GrpcScaleDiscoveryProperties discovery = discoveryProperties.getIfAvailable(GrpcScaleDiscoveryProperties::new);
			return new ProbeChannelFactory(credentials, clientProperties.getIfAvailable(GrpcClientProperties::new),
					discovery.getAuthority());
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	static class MetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean
		@ConditionalOnBean(MeterRegistry.class)
		HealthProbeTimer healthProbeTimer(MeterRegistry registry) {
			return new HealthProbeTimer(registry);
		}

	}

}
