package dev.grpcscale;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class EnhancedServiceManagerTests {

	private static final Instant NOW = Instant.parse("2026-05-01T10:00:00Z");

	private final InMemoryServiceRegistry registry = InMemoryServiceRegistry.create();

	private final EnhancedServiceManager manager = EnhancedServiceManager.builder()
		.serviceRegistry(this.registry)
		.serviceDiscovery(this.registry)
		.clock(Clock.fixed(NOW, ZoneOffset.UTC))
		.build();

	@AfterEach
	void close() {
		this.registry.close();
	}

	@Test
	void registeredServiceIsDiscoveredAndListed() {
		ServiceInstance instance = this.manager.registerServiceWithDiscovery(
				ServiceDefinition.builder("product-service").instanceId("p1").port(9090).metadata("zone", "a").build());
		assertThat(instance.registrationTime()).isEqualTo(NOW);
		assertThat(this.manager.discoverServices("product-service")).containsExactly(instance);
		assertThat(this.manager.getAllServices()).containsOnlyKeys("product-service");
		assertThat(this.manager.getRegisteredServices()).containsExactly(instance);
	}

	@Test
	void watchSeesRegistrationAndDeregistration() {
		List<Integer> sizes = new ArrayList<>();
		try (Subscription subscription = this.manager.watchServiceChanges("svc", (list) -> sizes.add(list.size()))) {
			ServiceInstance instance = this.manager.registerServiceWithDiscovery(ServiceDefinition.of("svc", "127.0.0.1", 1));
			assertThat(this.manager.deregisterService(instance)).isTrue();
		}
		assertThat(sizes).containsExactly(0, 1, 0);
		assertThat(this.manager.getRegisteredServices()).isEmpty();
	}

	@Test
	void statusListsRegistrationsAndDiscoveryCounts() {
		this.manager.registerServiceWithDiscovery(ServiceDefinition.of("svc", "127.0.0.1", 1));
		this.registry.register(ServiceDefinition.of("other", "127.0.0.1", 2).toInstance(NOW));
		EnhancedServiceStatus status = this.manager.getEnhancedServiceStatus();
		assertThat(status.services()).extracting(ServiceInstance::serviceName).containsExactly("svc");
		assertThat(status.discovery()).isNotNull();
		assertThat(status.discovery().backend().provider()).isEqualTo("memory");
		assertThat(status.discovery().instances()).containsEntry("svc", 1).containsEntry("other", 1);
		assertThat(status.shuttingDown()).isFalse();
	}

	@Test
	void tracingSectionIsWhatItsSourceTellsOnEachRequestAndNullWithoutASource() {
		java.util.concurrent.atomic.AtomicLong exported = new java.util.concurrent.atomic.AtomicLong();
		EnhancedServiceManager traced = EnhancedServiceManager.builder()
			.tracingStatus(() -> new EnhancedServiceStatus.Tracing(true, true, 0.5, "http://collector:4318/v1/traces",
					exported.get(), 0L))
			.build();
		assertThat(traced.getEnhancedServiceStatus().tracing()).isEqualTo(
				new EnhancedServiceStatus.Tracing(true, true, 0.5, "http://collector:4318/v1/traces", 0L, 0L));
		exported.set(7);
		assertThat(traced.getEnhancedServiceStatus().tracing().spansExported()).isEqualTo(7);
		assertThat(EnhancedServiceManager.builder()
			.tracingStatus(EnhancedServiceStatus.Tracing::unavailable)
			.build()
			.getEnhancedServiceStatus()
			.tracing()).isEqualTo(new EnhancedServiceStatus.Tracing(false, false, 0, null, null, null));
		assertThat(EnhancedServiceManager.builder().build().getEnhancedServiceStatus().tracing()).isNull();
	}

	@Test
	void withoutDiscoveryTheDiscoveryMethodsSaySoAndStatusHasNoSection() {
		EnhancedServiceManager bare = EnhancedServiceManager.builder().build();
		assertThatIllegalStateException().isThrownBy(() -> bare.discoverServices("svc"))
			.withMessageContaining("Service discovery is not enabled");
		assertThatIllegalStateException()
			.isThrownBy(() -> bare.registerServiceWithDiscovery(ServiceDefinition.of("svc", "127.0.0.1", 1)));
		assertThat(bare.getEnhancedServiceStatus().discovery()).isNull();
	}

	@Test
	void gracefulShutdownSetsHealthNotServingThenDeregistersAndIsIdempotent() throws Exception {
		HealthStatusManager health = new HealthStatusManager();
		health.setStatus("product.ProductService", ServingStatus.SERVING);
		String name = InProcessServerBuilder.generateName();
		io.grpc.Server server = InProcessServerBuilder.forName(name)
			.directExecutor()
			.addService(health.getHealthService())
			.build()
			.start();
		io.grpc.ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
		try {
			EnhancedServiceManager withHealth = EnhancedServiceManager.builder()
				.serviceRegistry(this.registry)
				.serviceDiscovery(this.registry)
				.health(health, () -> List.of("product.ProductService"))
				.build();
			List<String> order = new ArrayList<>();
			HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(channel);
			this.registry.watch("svc", (list) -> {
				if (list.isEmpty() && !order.isEmpty()) {
					// health must already be NOT_SERVING when discovery drops the instance
					order.add("deregistered:" + stub.check(HealthCheckRequest.getDefaultInstance()).getStatus());
				}
				else if (!list.isEmpty()) {
					order.add("registered");
				}
			});
			withHealth.registerServiceWithDiscovery(ServiceDefinition.of("svc", "127.0.0.1", 1));

			withHealth.gracefulShutdown();
			withHealth.gracefulShutdown();

			assertThat(order).containsExactly("registered", "deregistered:NOT_SERVING");
			assertThat(stub.check(HealthCheckRequest.newBuilder().setService("product.ProductService").build())
				.getStatus()).isEqualTo(ServingStatus.NOT_SERVING);
			health.setStatus("", ServingStatus.SERVING);
			assertThat(stub.check(HealthCheckRequest.getDefaultInstance()).getStatus())
				.as("terminal state keeps NOT_SERVING")
				.isEqualTo(ServingStatus.NOT_SERVING);
			assertThat(withHealth.isShuttingDown()).isTrue();
			assertThatIllegalStateException()
				.isThrownBy(() -> withHealth.registerServiceWithDiscovery(ServiceDefinition.of("svc", "127.0.0.1", 2)))
				.withMessageContaining("graceful shutdown has started");
		}
		finally {
			channel.shutdownNow();
			server.shutdownNow();
		}
	}

}
