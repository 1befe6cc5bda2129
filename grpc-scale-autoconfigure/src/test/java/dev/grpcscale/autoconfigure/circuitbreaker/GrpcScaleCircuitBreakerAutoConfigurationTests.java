package dev.grpcscale.autoconfigure.circuitbreaker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.GrpcChannelFactory;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.autoconfigure.metrics.CircuitBreakerMeterBinder;
import dev.grpcscale.autoconfigure.metrics.GrpcScaleMetricsAutoConfiguration;
import dev.grpcscale.circuitbreaker.CircuitBreakerOpenException;
import dev.grpcscale.circuitbreaker.CoarseClock;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class GrpcScaleCircuitBreakerAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
				GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleCircuitBreakerAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders",
				"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace());

	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	@AfterEach
	void close() {
		TestServices.FAILING.clear();
		this.contexts.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void defaultsGiveBreakersToTheManagerAndGuardDiscoveryChannels() {
		this.runner.run((context) -> {
			assertThat(context).hasSingleBean(CircuitBreakerRegistry.class)
				.hasSingleBean(GrpcCircuitBreakers.class)
				.hasBean("circuitBreakerGrpcChannelBuilderCustomizer");
			GrpcCircuitBreakers breakers = context.getBean(GrpcCircuitBreakers.class);
			assertThat(context).hasBean("grpcScaleCircuitBreakerRegistry").doesNotHaveBean("circuitBreakerRegistry");
			assertThat(breakers.config("anything").getMinimumNumberOfCalls()).isEqualTo(5);
			assertThat(breakers.config("anything").getWaitIntervalFunctionInOpenState().apply(1)).isEqualTo(30_000L);
			assertThat(breakers.registry().getDefaultConfig().getMinimumNumberOfCalls()).isEqualTo(5);
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			assertThat(manager.executeWithEnhancements(() -> "ok", "op")).isEqualTo("ok");
			assertThat(manager.getCircuitBreakerMetrics().totalRequests()).isEqualTo(1);
			assertThat(manager.getEnhancedServiceStatus().circuitBreaker()).isNotNull();
		});
	}

	@Test
	void breakersReadTimeFromACoarseClockStoppedWithTheContext() {
		this.runner.run((context) -> {
			CoarseClock clock = context.getBean(CoarseClock.class);
			assertThat(clock.resolution()).isEqualTo(CoarseClock.DEFAULT_RESOLUTION);
			GrpcCircuitBreakers breakers = context.getBean(GrpcCircuitBreakers.class);
			assertThat(breakers.clock()).isSameAs(clock);
			assertThat(breakers.operationBreaker("op").getCircuitBreakerConfig().getClock()).isSameAs(clock);
			assertThat(context.getBeanFactory().getBeanDefinition("grpcScaleCircuitBreakerClock").getDestroyMethodName())
				.isEqualTo("close");
		});
	}

	@Test
	void userClockReplacesTheCoarseClock() {
		CoarseClock own = CoarseClock.manual(java.time.Clock.systemUTC());
		this.runner.withBean(CoarseClock.class, () -> own).run((context) -> {
			assertThat(context).hasSingleBean(CoarseClock.class);
			assertThat(context.getBean(GrpcCircuitBreakers.class).clock()).isSameAs(own);
		});
	}

	@Test
	void propertiesAndPerNameOverridesShapeTheBreakers() {
		this.runner
			.withPropertyValues("grpc.scale.circuit-breaker.failure-threshold=2",
					"grpc.scale.circuit-breaker.recovery-timeout=10s",
					"grpc.scale.circuit-breaker.expected-errors=UNAVAILABLE,INTERNAL",
					"grpc.scale.circuit-breaker.instances.payments.failure-threshold=7",
					"grpc.scale.circuit-breaker.instances.payments.failure-rate-threshold=50")
			.run((context) -> {
				GrpcCircuitBreakers breakers = context.getBean(GrpcCircuitBreakers.class);
				CircuitBreakerConfig orders = breakers.config("orders");
				assertThat(orders.getMinimumNumberOfCalls()).isEqualTo(2);
				assertThat(orders.getSlidingWindowSize()).isEqualTo(60);
				assertThat(orders.getRecordExceptionPredicate()
					.test(io.grpc.Status.INTERNAL.asRuntimeException())).isTrue();
				assertThat(orders.getRecordExceptionPredicate()
					.test(io.grpc.Status.NOT_FOUND.asRuntimeException())).isFalse();
				CircuitBreakerConfig payments = breakers.config("payments");
				assertThat(payments.getMinimumNumberOfCalls()).isEqualTo(7);
				assertThat(payments.getFailureRateThreshold()).isEqualTo(50f);
				// inherited from the defaults
				assertThat(payments.getWaitIntervalFunctionInOpenState().apply(1)).isEqualTo(10_000L);
				assertThat(payments.getRecordExceptionPredicate()
					.test(io.grpc.Status.INTERNAL.asRuntimeException())).isTrue();
				// the same configuration, by name, in resilience4j's registry
				assertThat(breakers.registry().getConfiguration("payments")).containsSame(payments);
				assertThat(breakers.config("payments/instance-1")).isSameAs(payments);
			});
	}

	@Test
	void openCircuitRejectsOperationsAndPublishesASpringEvent() {
		this.runner.withPropertyValues("grpc.scale.circuit-breaker.failure-threshold=1")
			.withUserConfiguration(EventCollector.class)
			.run((context) -> {
				EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
				assertThatExceptionOfType(IllegalStateException.class)
					.isThrownBy(() -> manager.executeWithEnhancements(() -> {
						throw new IllegalStateException("down");
					}, "inventory"));
				assertThatExceptionOfType(CircuitBreakerOpenException.class)
					.isThrownBy(() -> manager.executeWithEnhancements(() -> "never", "inventory"));
				assertThat(context.getBean(EventCollector.class).events)
					.anySatisfy((event) -> {
						assertThat(event.getTransition().name()).isEqualTo("inventory");
						assertThat(event.getTransition().to()).isEqualTo(CircuitBreaker.State.OPEN);
					});
				assertThat(manager.getCircuitBreakerMetrics().rejectedRequests()).isEqualTo(1);
			});
	}

	@Test
	void disabledLeavesOperationsUnguarded() {
		this.runner.withPropertyValues("grpc.scale.circuit-breaker.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(GrpcCircuitBreakers.class)
				.doesNotHaveBean("circuitBreakerGrpcChannelBuilderCustomizer");
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			assertThat(manager.executeWithEnhancements(() -> "ok", "op")).isEqualTo("ok");
			assertThat(manager.getEnhancedServiceStatus().circuitBreaker()).isNull();
		});
	}

	@Test
	void userRegistryIsUsedAndUserBreakersReplaceOurs() {
		this.runner.withUserConfiguration(UserRegistry.class).run((context) -> {
			assertThat(context.getBean(GrpcCircuitBreakers.class).registry())
				.isSameAs(context.getBean(UserRegistry.class).registry);
		});
		this.runner.withUserConfiguration(UserBreakers.class).run((context) -> assertThat(context)
			.getBean(GrpcCircuitBreakers.class)
			.isSameAs(context.getBean(UserBreakers.class).breakers));
	}

	@Test
	void applicationsRegistryIsSharedWithoutTouchingItsDefaultOrItsConfigurations() {
		this.runner.withUserConfiguration(UserRegistry.class)
			.withPropertyValues("grpc.scale.circuit-breaker.failure-threshold=3",
					"grpc.scale.circuit-breaker.instances.ledger.failure-threshold=9",
					"grpc.scale.circuit-breaker.instances.payments.failure-threshold=4")
			.run((context) -> {
				CircuitBreakerRegistry registry = context.getBean(UserRegistry.class).registry;
				assertThat(context).getBeans(CircuitBreakerRegistry.class).containsOnlyKeys("userCircuitBreakerRegistry");
				GrpcCircuitBreakers breakers = context.getBean(GrpcCircuitBreakers.class);
				// the application's default stays resilience4j's; grpc-scale's defaults are its own
				assertThat(registry.getDefaultConfig().getMinimumNumberOfCalls()).isEqualTo(100);
				assertThat(breakers.config("orders").getMinimumNumberOfCalls()).isEqualTo(3);
				// a configuration the application named is kept; grpc-scale's breaker of that name uses its own
				assertThat(registry.getConfiguration("payments")).get()
					.extracting(CircuitBreakerConfig::getMinimumNumberOfCalls)
					.isEqualTo(42);
				assertThat(breakers.config("payments").getMinimumNumberOfCalls()).isEqualTo(4);
				assertThat(registry.getConfiguration("ledger")).get()
					.extracting(CircuitBreakerConfig::getMinimumNumberOfCalls)
					.isEqualTo(9);
				// the application's own breakers and grpc-scale's live side by side in it
				registry.circuitBreaker("app-breaker");
				breakers.serviceBreaker("orders");
				assertThat(registry.getAllCircuitBreakers()).extracting(CircuitBreaker::getName)
					.contains("app-breaker", "orders");
				assertThat(breakers.states()).containsOnlyKeys("orders");
			});
	}

	@Test
	void customizersRunAfterProperties() {
		this.runner.withUserConfiguration(Customizer.class)
			.run((context) -> assertThat(
					context.getBean(GrpcCircuitBreakers.class).config("special").getMinimumNumberOfCalls())
				.isEqualTo(42));
	}

	@Test
	void withoutResilience4jThereAreNoBreakers() {
		this.runner.withClassLoader(new FilteredClassLoader(CircuitBreakerRegistry.class))
			.run((context) -> assertThat(context).doesNotHaveBean(GrpcCircuitBreakers.class)
				.hasSingleBean(EnhancedServiceManager.class));
	}

	@Test
	void resilience4jPerCallMetricsAreNotBoundButGrpcScaleMetersAre() {
		this.runner.withUserConfiguration(Meters.class)
			.withConfiguration(AutoConfigurations.of(GrpcScaleMetricsAutoConfiguration.class))
			.run((context) -> {
				// resilience4j's TaggedCircuitBreakerMetrics subscribes to every call's event: not bound any more
				assertThat(context).doesNotHaveBean(io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics.class)
					.hasSingleBean(CircuitBreakerMeterBinder.class);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				context.getBean(CircuitBreakerMeterBinder.class).bindTo(registry);
				context.getBean(GrpcCircuitBreakers.class).operationBreaker("metered");
				assertThat(registry.find(CircuitBreakerMeterBinder.STATE).tag("name", "metered").meters()).isNotEmpty();
				assertThat(registry.find("resilience4j.circuitbreaker.state").meters()).isEmpty();
			});
	}

	@Test
	void departedInstanceBreakerAndItsMetersAreRemovedAfterTheInstanceRetention() {
		this.runner.withUserConfiguration(Meters.class).run((context) -> {
			assertThat(context.getBean(GrpcCircuitBreakers.class).instanceRetention()).isEqualTo(Duration.ofMinutes(5));
		});
		this.runner.withUserConfiguration(Meters.class)
			.withConfiguration(AutoConfigurations.of(GrpcScaleMetricsAutoConfiguration.class))
			.withPropertyValues("grpc.scale.circuit-breaker.instance-retention=0s")
			.run((context) -> {
				GrpcCircuitBreakers breakers = context.getBean(GrpcCircuitBreakers.class);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				context.getBean(CircuitBreakerMeterBinder.class).bindTo(registry);
				breakers.instanceBreaker("svc", "i-1");
				assertThat(registry.find(CircuitBreakerMeterBinder.CALLS).tags("name", "svc", "instance.id", "i-1").meters())
					.hasSize(4);

				assertThat(breakers.removeExpiredInstanceBreakers()).isOne();
				assertThat(breakers.registry().find("svc/i-1")).isEmpty();
				assertThat(registry.getMeters())
					.noneMatch((meter) -> "i-1".equals(meter.getId().getTag("instance.id")));
			});
	}

	@Test
	void badValuesStopStartUpNamingTheProperty() {
		this.runner.withPropertyValues("grpc.scale.circuit-breaker.failure-rate-threshold=150").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.circuit-breaker.failure-rate-threshold: '150.0' (expected: a percentage greater than 0 and at most 100)");
		});
		this.runner.withPropertyValues("grpc.scale.circuit-breaker.instances.payments.expected-errors=TIMEOUT")
			.run((context) -> assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.circuit-breaker.instances.payments.expected-errors[0]: 'TIMEOUT'"));
		this.runner.withPropertyValues("grpc.scale.circuit-breaker.monitoring-period=1500ms")
			.run((context) -> assertThat(context.getStartupFailure())
				.hasStackTraceContaining("grpc.scale.circuit-breaker.monitoring-period: 'PT1.5S'"));
		this.runner.withPropertyValues("grpc.scale.circuit-breaker.excluded-methods=Ping")
			.run((context) -> assertThat(context.getStartupFailure())
				.hasStackTraceContaining("grpc.scale.circuit-breaker.excluded-methods[0]: 'Ping'"));
		this.runner.withPropertyValues("grpc.scale.circuit-breaker.instance-retention=-1s")
			.run((context) -> assertThat(context.getStartupFailure())
				.hasStackTraceContaining("grpc.scale.circuit-breaker.instance-retention: 'PT-1S' (expected: >= 0)"));
	}

	@Test
	void failingInstanceLeavesLoadBalancingAndRejoinsAfterRecoveryOverRealNetty() {
		String namespace = TestServices.uniqueNamespace();
		for (String name : List.of("a", "b", "c")) {
			this.contexts.add(TestServices.startServer("product-service", name, namespace));
		}
		ConfigurableApplicationContext client = TestServices.startClient(namespace,
				"grpc.scale.circuit-breaker.failure-threshold=3", "grpc.scale.circuit-breaker.recovery-timeout=1s",
				"grpc.scale.health-check.enabled=false");
		this.contexts.add(client);
		ManagedChannel channel = client.getBean(GrpcChannelFactory.class).createChannel("discovery:///product-service");
		try {
			SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel);
			await().atMost(Duration.ofSeconds(10)).until(() -> new HashSet<>(answers(stub, 6).ok).size() == 3);

			TestServices.FAILING.add("b");
			Calls during = answers(stub, 30);
			assertThat(during.failed).isEqualTo(3);
			Calls after = answers(stub, 30);
			assertThat(after.failed).isZero();
			assertThat(new HashSet<>(after.ok)).containsExactlyInAnyOrder("a", "c");
			GrpcCircuitBreakers breakers = client.getBean(GrpcCircuitBreakers.class);
			assertThat(breakers.openCircuits()).singleElement().satisfies((name) -> assertThat(name).startsWith("product-service/"));
			assertThat(breakers.states().get("product-service")).isEqualTo(CircuitBreaker.State.CLOSED);

			TestServices.FAILING.remove("b");
			await().atMost(Duration.ofSeconds(10)).until(() -> answers(stub, 6).ok.contains("b"));
			assertThat(answers(stub, 30).failed).isZero();
		}
		finally {
			channel.shutdownNow();
		}
	}

	private static Calls answers(SimpleServiceGrpc.SimpleServiceBlockingStub stub, int count) {
		Calls calls = new Calls();
		for (int i = 0; i < count; i++) {
			try {
				calls.ok.add(stub.withDeadlineAfter(Duration.ofSeconds(5))
					.unaryRpc(SimpleRequest.getDefaultInstance())
					.getResponseMessage());
			}
			catch (StatusRuntimeException ex) {
				calls.failed++;
			}
		}
		return calls;
	}

	static final class Calls {

		final List<String> ok = new ArrayList<>();

		int failed;

	}

	@Configuration(proxyBeanMethods = false)
	static class EventCollector implements ApplicationListener<CircuitBreakerStateChangedEvent> {

		final List<CircuitBreakerStateChangedEvent> events = new CopyOnWriteArrayList<>();

		@Override
		public void onApplicationEvent(CircuitBreakerStateChangedEvent event) {
			this.events.add(event);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserRegistry {

		final CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();

		UserRegistry() {
			this.registry.addConfiguration("payments", CircuitBreakerConfig.custom().minimumNumberOfCalls(42).build());
		}

		@Bean
		CircuitBreakerRegistry userCircuitBreakerRegistry() {
			return this.registry;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserBreakers {

		final GrpcCircuitBreakers breakers = GrpcCircuitBreakers.ofDefaults();

		@Bean
		GrpcCircuitBreakers userBreakers() {
			return this.breakers;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class Customizer {

		@Bean
		GrpcCircuitBreakersCustomizer special() {
			return (builder) -> builder.override("special",
					dev.grpcscale.circuitbreaker.CircuitBreakerSettings.builder().failureThreshold(42).build());
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class Meters {

		@Bean
		MeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

}
