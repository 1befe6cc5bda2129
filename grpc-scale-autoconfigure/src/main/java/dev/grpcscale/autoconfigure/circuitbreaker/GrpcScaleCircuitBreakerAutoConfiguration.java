package dev.grpcscale.autoconfigure.circuitbreaker;

import java.time.Clock;
import java.util.List;
import java.util.Set;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.grpc.ManagedChannelBuilder;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.grpc.client.GrpcChannelBuilderCustomizer;

import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.GrpcScaleCircuitBreakerProperties;
import dev.grpcscale.autoconfigure.discovery.DiscoveryChannels;
import dev.grpcscale.circuitbreaker.CircuitBreakerClientInterceptor;
import dev.grpcscale.circuitbreaker.CircuitBreakerLoadBalancerProvider;
import dev.grpcscale.circuitbreaker.CircuitBreakerSettings;
import dev.grpcscale.circuitbreaker.CoarseClock;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;

/**
 * Auto-configuration of circuit breaking: {@code grpc.scale.circuit-breaker.*} as resilience4j
 * {@link CircuitBreakerConfig}s (the defaults, and one per {@code instances.<name>} entry, each inheriting
 * every unset key from the defaults) held by {@link GrpcCircuitBreakers}, used by
 * {@code executeWithEnhancements}, and by a {@link CircuitBreakerRegistry}: the application's when it has
 * one (resilience4j's Spring Boot module and Spring Cloud CircuitBreaker define one, and this
 * configuration runs after theirs), else {@code grpcScaleCircuitBreakerRegistry}, whose default
 * configuration is grpc-scale's. The {@code instances.<name>} configurations are added to the registry
 * under their names unless it already has one of that name; the registry's own configurations of a
 * breaker's name apply where the properties have none. Every {@code discovery:///} channel (and the
 * channels named in {@code grpc.scale.circuit-breaker.channels}) guarded by a service breaker and, through the
 * {@code grpc_scale_round_robin} policy, a breaker per instance; state changes published as
 * {@link CircuitBreakerStateChangedEvent}s; the breakers' time windows and recovery timeouts on a
 * {@link CoarseClock} (the system clock read every 10 ms by one thread). Meters are grpc-scale's own
 * ({@code grpc.scale.circuitbreaker.*}, see {@code GrpcScaleMetricsAutoConfiguration}). The breaker of an
 * instance that left discovery is removed from the registry, and so are its meters,
 * {@code grpc.scale.circuit-breaker.instance-retention} after the last channel let it go.
 */
@AutoConfiguration(before = GrpcScaleAutoConfiguration.class,
		beforeName = "org.springframework.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration",
		afterName = { "io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerAutoConfiguration",
				"io.github.resilience4j.springboot3.circuitbreaker.autoconfigure.CircuitBreakerAutoConfiguration",
				"org.springframework.cloud.circuitbreaker.resilience4j.Resilience4JAutoConfiguration" })
@ConditionalOnClass(CircuitBreakerRegistry.class)
@ConditionalOnBooleanProperty(name = "grpc.scale.circuit-breaker.enabled", matchIfMissing = true)
@EnableConfigurationProperties(GrpcScaleCircuitBreakerProperties.class)
public final class GrpcScaleCircuitBreakerAutoConfiguration {

	/**
	 * The registry when the application has none, named so that it never takes the place of
	 * resilience4j's or Spring Cloud's {@code circuitBreakerRegistry}.
	 */
	@Bean
	@ConditionalOnMissingBean
	CircuitBreakerRegistry grpcScaleCircuitBreakerRegistry(GrpcScaleCircuitBreakerProperties properties) {
		return CircuitBreakerRegistry.of(CircuitBreakerSettingsMapper.defaults(properties).toConfig());
	}

	/**
	 * The breakers' clock: the system clock read every {@link CoarseClock#DEFAULT_RESOLUTION} by one daemon
	 * thread rather than on every recorded call; stopped with the context.
	 */
	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	CoarseClock grpcScaleCircuitBreakerClock() {
		return CoarseClock.start(Clock.systemUTC(), CoarseClock.DEFAULT_RESOLUTION);
	}

	@Bean
	@ConditionalOnMissingBean
	GrpcCircuitBreakers grpcCircuitBreakers(GrpcScaleCircuitBreakerProperties breaker, CircuitBreakerRegistry registry,
			CoarseClock clock, ObjectProvider<GrpcCircuitBreakersCustomizer> customizers,
			ApplicationEventPublisher publisher) {
		CircuitBreakerSettings defaults = CircuitBreakerSettingsMapper.defaults(breaker);
		GrpcCircuitBreakers.Builder builder = GrpcCircuitBreakers.builder()
			.registry(registry)
			.clock(clock)
			.defaults(defaults)
			.instanceRetention(breaker.getInstanceRetention());
		breaker.getInstances().forEach((name, instance) -> {
			CircuitBreakerConfig config = CircuitBreakerSettingsMapper.override(defaults, name, instance).toConfig();
			builder.override(name, config);
			// never replaces a configuration the application gave the registry, nor its default
			if (!"default".equals(name) && registry.getConfiguration(name).isEmpty()) {
				registry.addConfiguration(name, config);
			}
		});
		builder.listener((transition) -> publisher
			.publishEvent(new CircuitBreakerStateChangedEvent(GrpcCircuitBreakers.class, transition)));
		customizers.orderedStream().forEach((customizer) -> customizer.customize(builder));
		return builder.build();
	}

	/**
	 * Breakers on channels: the {@code grpc_scale_round_robin} policy of every {@code discovery:///}
	 * channel (see the discovery auto-configuration, which keeps Boot's service config under it) finds
	 * them through a name-resolver argument.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(GrpcChannelBuilderCustomizer.class)
	static class ChannelConfiguration {

		/**
		 * Guards {@code discovery:///} channels and the configured named channels. The customizer receives
		 * what the channel was asked for: a target, or the name of a configured channel, whose target is
		 * {@code spring.grpc.client.channel.<name>.target}.
		 */
		@Bean
		@ConditionalOnMissingBean(name = "circuitBreakerGrpcChannelBuilderCustomizer")
		<T extends ManagedChannelBuilder<T>> GrpcChannelBuilderCustomizer<T> circuitBreakerGrpcChannelBuilderCustomizer(
				GrpcCircuitBreakers breakers, GrpcScaleCircuitBreakerProperties properties, Environment environment) {
			CircuitBreakerLoadBalancerProvider.registerDefault();
			Set<String> named = Set.copyOf(properties.getChannels());
			List<String> excluded = List.copyOf(properties.getExcludedMethods());
			return (requested, builder) -> {
				boolean discovery = DiscoveryChannels.serviceName(environment, requested) != null;
				if (discovery || named.contains(requested)) {
					builder.setNameResolverArg(GrpcCircuitBreakers.NAME_RESOLVER_ARG, breakers);
					builder.intercept(CircuitBreakerClientInterceptor.builder(breakers).excludedMethods(excluded).build());
				}
			};
		}

	}

}
