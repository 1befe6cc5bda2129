package dev.grpcscale.circuitbreaker;

import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.inprocess.InProcessSocketAddress;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.health.HealthCheckOptions;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Months of downstream deploys in a few seconds: 5,000 rolling restarts of the one instance of a service, each
 * under a new instance id, behind a {@code discovery:///} channel with per-instance breakers bound to
 * Micrometer as the starter binds them, and health checking between discovery and the channel as the
 * starter has it. Each instance is an in-process server of its own; a resolver of a
 * test scheme passes the discovery resolver's result on with the instances' in-process addresses.
 */
class InstanceBreakerChurnTests {

	private static final String SCHEME = "churn-discovery";

	private static final int CYCLES = 5_000;

	private static final Duration RETENTION = Duration.ofSeconds(2);

	private static final String SERVER_NAME = InProcessServerBuilder.generateName();

	private final InMemoryServiceRegistry discovery = InMemoryServiceRegistry.create();

	/** Probes each instance once as it joins (the interval is longer than the test). */
	private final HealthCheckingServiceDiscovery health = HealthCheckingServiceDiscovery.builder(this.discovery)
		.options(HealthCheckOptions.builder().interval(Duration.ofHours(1)).build())
		.channelFactory((instance) -> InProcessChannelBuilder.forName(serverName(instance.instanceId()))
			.directExecutor()
			.build())
		.build();

	private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final Map<String, Server> servers = new java.util.HashMap<>();

	private ManagedChannel channel;

	@BeforeAll
	static void registerProviders() {
		DiscoveryNameResolverProvider.registerDefault();
		NameResolverRegistry.getDefaultRegistry().register(new InProcessDiscoveryProvider());
	}

	/** Starts the in-process server of one instance, as a deploy starts a process. */
	private void startServer(String instanceId) throws Exception {
		Server server = InProcessServerBuilder.forName(serverName(instanceId))
			.directExecutor()
			.addService(new HealthStatusManager().getHealthService())
			.addService(new SimpleServiceGrpc.SimpleServiceImplBase() {

				@Override
				public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responseObserver) {
					responseObserver.onNext(SimpleResponse.getDefaultInstance());
					responseObserver.onCompleted();
				}

			})
			.build()
			.start();
		this.servers.put(instanceId, server);
	}

	private void stopServer(String instanceId) throws Exception {
		this.servers.remove(instanceId).shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
	}

	private static String serverName(String instanceId) {
		return SERVER_NAME + "/" + instanceId;
	}

	@AfterEach
	void stop() throws Exception {
		if (this.channel != null) {
			this.channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
		this.health.close();
		for (String id : List.copyOf(this.servers.keySet())) {
			stopServer(id);
		}
		this.discovery.close();
	}

	@Test
	void breakersRegistryEntriesMetersThreadsAndHeapStayFlatThroughRollingRestarts() throws Exception {
		CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
		TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(registry).bindTo(this.meters);
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
			.registry(registry)
			.clock(this.clock)
			.instanceRetention(RETENTION)
			.build();
		this.channel = breakers.configure(DiscoveryNameResolverProvider
			.configure(InProcessChannelBuilder.forTarget(SCHEME + ":///svc").directExecutor(), this.health)).build();
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(this.channel);

		List<Footprint> footprints = new ArrayList<>();
		List<WeakReference<CircuitBreaker>> created = new ArrayList<>();
		String previous = null;
		String stopping = null;
		for (int cycle = 1; cycle <= CYCLES; cycle++) {
			String id = "i-" + cycle;
			startServer(id);
			this.discovery.register(new ServiceInstance("svc", id, "127.0.0.1", 50051, Map.of(), InstanceStatus.UP,
					this.clock.instant()));
			String name = GrpcCircuitBreakers.instanceBreakerName("svc", id);
			await().pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
				.atMost(Duration.ofSeconds(10)).until(() -> {
					stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryRpc(SimpleRequest.getDefaultInstance());
					return successfulCalls(breakers, name) > 0;
				});
			created.add(new WeakReference<>(registry.find(name).orElseThrow()));
			if (stopping != null) {
				// the channel has balanced over the list without it (the one before this instance's): its
				// process may go
				stopServer(stopping);
			}
			if (previous != null) {
				this.discovery.deregister("svc", previous);
			}
			stopping = previous;
			previous = id;
			// one deploy every second of the breakers' clock
			this.clock.advance(Duration.ofSeconds(1));
			if (cycle == 1_000 || cycle == CYCLES) {
				footprints.add(footprint(breakers, registry, created.subList(0, cycle - 3)));
			}
		}

		Footprint early = footprints.get(0);
		Footprint late = footprints.get(1);
		// retained: the instances that left within the last two seconds of the breakers' clock, the live ones
		// and the service breaker
		int bound = 6;
		assertThat(late.breakers()).as("breakers at cycle %d", CYCLES).isLessThanOrEqualTo(bound);
		assertThat(late.registryEntries()).as("registry entries at cycle %d", CYCLES).isLessThanOrEqualTo(bound);
		assertThat(late.breakerMeters()).as("meters tagged with an instance breaker at cycle %d", CYCLES)
			.isLessThanOrEqualTo(early.breakerMeters() + 20);
		assertThat(late.meters()).as("meters at cycle %d", CYCLES).isLessThanOrEqualTo(early.meters() + 20);
		assertThat(late.probedInstances()).as("instances with health state at cycle %d", CYCLES)
			.isLessThanOrEqualTo(2);
		assertThat(late.threads()).as("live threads at cycle %d", CYCLES).isLessThanOrEqualTo(early.threads() + 5);
		// the objects retained are counted exactly above (and the departed breakers are shown collected); heap
		// after a full GC also moves with what the JVM does besides (class loading, JIT, buffers), so its
		// bound is loose: 4,000 retained breakers with their windows and meters take ~45 MiB
		assertThat(late.usedHeap() - early.usedHeap()).as("retained heap growth from cycle 1,000 to %d", CYCLES)
			.isLessThan(8L * 1024 * 1024);
		// the channel still works and the service breaker stayed
		assertThat(breakers.states()).containsKey("svc");
	}

	private static long successfulCalls(GrpcCircuitBreakers breakers, String name) {
		return breakers.metrics()
			.breakers()
			.stream()
			.filter((breaker) -> breaker.name().equals(name))
			.mapToLong(CircuitBreakerMetrics.Breaker::successfulRequests)
			.sum();
	}

	/**
	 * What is held at this point. First waits until the breakers of instances gone for a few cycles are
	 * garbage: gRPC keeps a shut-down subchannel (and through it the breaker) for a few seconds of real time
	 * so its calls can finish, so whatever was released just now may still be reachable for a while.
	 */
	private Footprint footprint(GrpcCircuitBreakers breakers, CircuitBreakerRegistry registry,
			List<WeakReference<CircuitBreaker>> departed) {
		breakers.removeExpiredInstanceBreakers();
		await("the breakers of departed instances collected").atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(250))
			.until(() -> {
				System.gc();
				return departed.stream().noneMatch((reference) -> reference.get() != null);
			});
		int breakerMeters = 0;
		for (Meter meter : this.meters.getMeters()) {
			String tag = meter.getId().getTag("name");
			if (tag != null && tag.startsWith("svc/")) {
				breakerMeters++;
			}
		}
		for (int i = 0; i < 3; i++) {
			System.gc();
		}
		Runtime runtime = Runtime.getRuntime();
		long used = runtime.totalMemory() - runtime.freeMemory();
		return new Footprint(breakers.states().size(), registry.getAllCircuitBreakers().size(),
				this.meters.getMeters().size(), breakerMeters, this.health.snapshot().size(),
				ManagementFactory.getThreadMXBean().getThreadCount(), used);
	}

	private record Footprint(int breakers, int registryEntries, int meters, int breakerMeters, int probedInstances,
			int threads,
			long usedHeap) {
	}

	/** {@code churn-discovery:///svc}: the discovery resolver's result, addressed to the in-process server. */
	private static final class InProcessDiscoveryProvider extends NameResolverProvider {

		@Override
		public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
			if (!SCHEME.equals(targetUri.getScheme())) {
				return null;
			}
			NameResolver delegate = NameResolverRegistry.getDefaultRegistry()
				.asFactory()
				.newNameResolver(URI.create(DiscoveryNameResolverProvider.SCHEME + ":" + targetUri.getRawSchemeSpecificPart()), args);
			return new NameResolver() {

				@Override
				public String getServiceAuthority() {
					return delegate.getServiceAuthority();
				}

				@Override
				public void start(Listener2 listener) {
					delegate.start(new Listener2() {

						@Override
						public void onResult(ResolutionResult result) {
							listener.onResult(inProcess(result));
						}

						@Override
						public Status onResult2(ResolutionResult result) {
							return listener.onResult2(inProcess(result));
						}

						@Override
						public void onError(Status error) {
							listener.onError(error);
						}

					});
				}

				@Override
				public void refresh() {
					delegate.refresh();
				}

				@Override
				public void shutdown() {
					delegate.shutdown();
				}

			};
		}

		private static NameResolver.ResolutionResult inProcess(NameResolver.ResolutionResult result) {
			List<EquivalentAddressGroup> groups = new ArrayList<>();
			for (EquivalentAddressGroup group : result.getAddressesOrError().getValue()) {
				ServiceInstance instance = group.getAttributes().get(DiscoveryNameResolverProvider.INSTANCE);
				groups.add(new EquivalentAddressGroup(new InProcessSocketAddress(serverName(instance.instanceId())),
						group.getAttributes()));
			}
			return result.toBuilder().setAddresses(groups).build();
		}

		@Override
		public String getDefaultScheme() {
			return SCHEME;
		}

		@Override
		protected boolean isAvailable() {
			return true;
		}

		@Override
		protected int priority() {
			return 4;
		}

		@Override
		public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
			return List.of(InProcessSocketAddress.class);
		}

	}

}
