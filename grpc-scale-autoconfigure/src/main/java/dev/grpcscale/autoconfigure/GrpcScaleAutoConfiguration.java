package dev.grpcscale.autoconfigure;

import java.util.Objects;

import io.grpc.BindableService;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.LocalInstance;
import dev.grpcscale.autoconfigure.health.GrpcScaleHealthCheckAutoConfiguration;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceRegistry;
import dev.grpcscale.metrics.OperationObservationConvention;
import dev.grpcscale.tracing.TracingStatusSource;

/**
 * Auto-configuration of the {@link EnhancedServiceManager} facade and of this application's
 * {@link LocalInstance}: the services of {@code grpc.scale.services} are registered and the node joins its
 * cluster once the gRPC server has started, and at shutdown gRPC health turns {@code NOT_SERVING}, the
 * registrations are removed and leadership is resigned before Boot drains in-flight calls
 * ({@link LocalInstanceLifecycle}).
 */
@AutoConfiguration(after = { GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleHealthCheckAutoConfiguration.class },
		afterName = { "org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration",
				"org.springframework.boot.grpc.server.autoconfigure.health.GrpcServerHealthAutoConfiguration" })
@EnableConfigurationProperties({ GrpcScaleProperties.class, GrpcScaleTracingProperties.class,
		GrpcScaleHealthCheckProperties.class, GrpcScaleMetricsProperties.class })
public final class GrpcScaleAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	LocalInstance grpcScaleLocalInstance(ObjectProvider<ServiceRegistry> registry,
			ObjectProvider<HealthStatusManager> health, ObjectProvider<BindableService> services,
			ObjectProvider<LeaderElection> leaderElection) {
		return LocalInstance.builder()
			.serviceRegistry(registry.getIfAvailable())
			.health(health.getIfAvailable(), () -> services.orderedStream()
				.map((service) -> service.bindService().getServiceDescriptor().getName())
				.toList())
			.leaderElection(leaderElection.getIfAvailable())
			.build();
	}

	/**
	 * Reads discovery through the primary {@link ServiceDiscovery}: the health-checking one when enabled.
	 * Operations are recorded by an observation or a timer as {@link OperationMeterSelection} chooses.
	 */
	@Bean
	@ConditionalOnMissingBean
	EnhancedServiceManager enhancedServiceManager(GrpcScaleTracingProperties tracing,
			GrpcScaleMetricsProperties metrics, LocalInstance localInstance,
			ObjectProvider<ServiceDiscovery> discovery, ObjectProvider<GrpcCircuitBreakers> circuitBreakers,
			ObjectProvider<ObservationRegistry> observations, ObjectProvider<LeaderElection> leaderElection,
			ObjectProvider<OperationObservationConvention> observationConvention,
			ObjectProvider<TracingStatusSource> tracingStatus, Environment environment,
			ConfigurableListableBeanFactory beans) {
		OperationObservationConvention convention = observationConvention.getIfUnique();
		EnhancedServiceManager.Builder builder = EnhancedServiceManager.builder()
			.localInstance(localInstance)
			.serviceDiscovery(discovery.getIfAvailable())
			.circuitBreakers(circuitBreakers.getIfAvailable())
			.observationConvention(convention)
			.leaderElection(leaderElection.getIfAvailable())
			.tracingStatus(tracingStatus.getIfAvailable());
		OperationMeterSelection.configure(builder, metrics, tracing, observations.getIfAvailable(), convention,
				environment, beans, beans.getBeanClassLoader());
		return builder.build();
	}

	@Bean
	@ConditionalOnMissingBean
	GrpcServerAddress grpcScaleServerAddress() {
		return new GrpcServerAddress();
	}

	@Bean
	@ConditionalOnMissingBean
	LocalInstanceLifecycle localInstanceLifecycle(LocalInstance localInstance, GrpcScaleProperties properties,
			GrpcServerAddress serverAddress, Environment environment, ObjectProvider<ServiceRegistry> registry,
			ApplicationContext context) {
		LocalServiceDefinitions definitions = new LocalServiceDefinitions(properties.getServices(),
				Objects.requireNonNullElse(environment.getProperty("spring.application.name"), "application"));
		return new LocalInstanceLifecycle(localInstance, definitions, serverAddress, registry.getIfAvailable() != null,
				context);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(GrpcServerStartedEvent.class)
	static class ServerStartedConfiguration {

		@Bean
		ApplicationListener<GrpcServerStartedEvent> grpcScaleServerStartedListener(
				LocalInstanceLifecycle lifecycle) {
			return (event) -> lifecycle.serverStarted(event.getAddress(), event.getPort());
		}

	}

}
