package dev.grpcscale.autoconfigure;

import java.util.List;
import java.util.Objects;

import io.grpc.BindableService;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceRegistry;

/**
 * Auto-configuration of the {@link EnhancedServiceManager} facade and of grpc-scale's lifecycle: the
 * services of {@code grpc.scale.services} are registered once the gRPC server has started, and at
 * shutdown gRPC health turns {@code NOT_SERVING} and the registrations are removed before Boot drains
 * in-flight calls.
 */
@AutoConfiguration(after = GrpcScaleDiscoveryAutoConfiguration.class,
		afterName = { "org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration",
				"org.springframework.boot.grpc.server.autoconfigure.health.GrpcServerHealthAutoConfiguration" })
@EnableConfigurationProperties({ GrpcScaleProperties.class, GrpcScaleTracingProperties.class,
		GrpcScaleHealthCheckProperties.class })
public final class GrpcScaleAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	EnhancedServiceManager enhancedServiceManager(GrpcScaleTracingProperties tracing,
			ObjectProvider<ServiceRegistry> registry, ObjectProvider<ServiceDiscovery> discovery,
			ObjectProvider<HealthStatusManager> health, ObjectProvider<BindableService> services,
			ObjectProvider<GrpcCircuitBreakers> circuitBreakers, ObjectProvider<ObservationRegistry> observations,
			ObjectProvider<LeaderElection> leaderElection) {
		return EnhancedServiceManager.builder()
			.serviceRegistry(registry.getIfAvailable())
			.serviceDiscovery(discovery.getIfAvailable())
			.health(health.getIfAvailable(), () -> services.orderedStream()
				.map((service) -> service.bindService().getServiceDescriptor().getName())
				.toList())
			.circuitBreakers(circuitBreakers.getIfAvailable())
			.observationRegistry(tracing.isEnabled() ? observations.getIfAvailable() : null)
			.leaderElection(leaderElection.getIfAvailable())
			.build();
	}

	@Bean
	@ConditionalOnMissingBean
	GrpcScaleShutdown grpcScaleShutdown(EnhancedServiceManager manager) {
		return new GrpcScaleShutdown(manager);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(GrpcServerStartedEvent.class)
	static class ServerRegistrationConfiguration {

		@Bean
		@ConditionalOnMissingBean
		GrpcScaleServiceRegistrar grpcScaleServiceRegistrar(EnhancedServiceManager manager,
				GrpcScaleProperties properties, Environment environment, ObjectProvider<ServiceRegistry> registry) {
			List<GrpcScaleProperties.Service> services = properties.getServices();
			return new GrpcScaleServiceRegistrar(manager, services,
					Objects.requireNonNullElse(environment.getProperty("spring.application.name"), "application"),
					registry.getIfAvailable() != null);
		}

		@Bean
		ApplicationListener<GrpcServerStartedEvent> grpcScaleServerStartedListener(
				GrpcScaleServiceRegistrar registrar) {
			return (event) -> registrar.serverStarted(event.getAddress(), event.getPort());
		}

	}

}
