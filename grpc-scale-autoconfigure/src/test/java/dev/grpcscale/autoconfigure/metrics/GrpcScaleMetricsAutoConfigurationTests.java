package dev.grpcscale.autoconfigure.metrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.InvalidGrpcScalePropertiesFailureAnalyzer;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.autoconfigure.circuitbreaker.GrpcScaleCircuitBreakerAutoConfiguration;
import dev.grpcscale.autoconfigure.cluster.GrpcScaleClusterAutoConfiguration;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.autoconfigure.health.GrpcScaleHealthCheckAutoConfiguration;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.metrics.DefaultOperationObservationConvention;
import dev.grpcscale.metrics.OperationObservationConvention;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcScaleMetricsAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
				GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleHealthCheckAutoConfiguration.class,
				GrpcScaleCircuitBreakerAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class,
				GrpcScaleMetricsAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders", "grpc.scale.cluster.enabled=true",
				"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace());

	@Test
	void defaultsBindBreakerDiscoveryAndClusterMeters() {
		this.runner.run((context) -> assertThat(context).hasSingleBean(CircuitBreakerMeterBinder.class)
			.hasSingleBean(DiscoveryMeterBinder.class)
			.hasSingleBean(ClusterMeterBinder.class));
	}

	@Test
	void disabledBindsNoMeters() {
		this.runner.withPropertyValues("grpc.scale.metrics.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(CircuitBreakerMeterBinder.class)
				.doesNotHaveBean(DiscoveryMeterBinder.class)
				.doesNotHaveBean(ClusterMeterBinder.class)
				.hasSingleBean(GrpcCircuitBreakers.class));
	}

	@Test
	void withoutMicrometerBindsNoMeters() {
		this.runner.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
			.run((context) -> assertThat(context).doesNotHaveBean(CircuitBreakerMeterBinder.class)
				.doesNotHaveBean(DiscoveryMeterBinder.class));
	}

	@Test
	void aUserBinderReplacesGrpcScales() {
		this.runner.withUserConfiguration(UserBinder.class)
			.run((context) -> assertThat(context.getBean(CircuitBreakerMeterBinder.class))
				.isSameAs(context.getBean(UserBinder.class).binder));
	}

	@Test
	void aNonPositiveRefreshIntervalStopsStartUp() {
		this.runner.withPropertyValues("grpc.scale.metrics.refresh-interval=0s")
			.run((context) -> assertThat(context.getStartupFailure())
				.hasStackTraceContaining("grpc.scale.metrics.refresh-interval: 'PT0S'"));
	}

	@Test
	void aNonPositiveRefreshIntervalIsReportedUnderItsKeyWithWhereItWasSet() {
		this.runner.withPropertyValues("grpc.scale.metrics.refresh-interval=0s").run((context) -> {
			FailureAnalysis analysis = new InvalidGrpcScalePropertiesFailureAnalyzer()
				.analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription())
				.contains(String.format("Property: grpc.scale.metrics.refresh-interval%n    Value: 'PT0S'%n"
						+ "    Origin: \"grpc.scale.metrics.refresh-interval\" from property source"))
				.doesNotContain("grpc.scale.metrics.grpc.scale.metrics");
		});
	}

	@Test
	void aUserObservationConventionNamesTheOperationObservation() throws Exception {
		List<Observation.Context> stopped = new CopyOnWriteArrayList<>();
		ObservationRegistry observations = ObservationRegistry.create();
		observations.observationConfig().observationHandler(new ObservationHandler<>() {

			@Override
			public void onStop(Observation.Context context) {
				stopped.add(context);
			}

			@Override
			public boolean supportsContext(Observation.Context context) {
				return true;
			}

		});
		this.runner.withBean(ObservationRegistry.class, () -> observations)
			.withBean(OperationObservationConvention.class, () -> new DefaultOperationObservationConvention() {

				@Override
				public String getName() {
					return "shop.operation";
				}

			})
			.run((context) -> {
				context.getBean(EnhancedServiceManager.class).executeWithEnhancements(() -> "ok", "pay");
				assertThat(stopped).singleElement().satisfies((observed) -> {
					assertThat(observed.getName()).isEqualTo("shop.operation");
					assertThat(observed.getLowCardinalityKeyValue(DefaultOperationObservationConvention.OPERATION).getValue())
						.isEqualTo("pay");
				});
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class UserBinder {

		final CircuitBreakerMeterBinder binder = new CircuitBreakerMeterBinder(GrpcCircuitBreakers.ofDefaults());

		@Bean
		CircuitBreakerMeterBinder userCircuitBreakerMeterBinder() {
			return this.binder;
		}

	}

}
