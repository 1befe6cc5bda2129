package dev.grpcscale.circuitbreaker;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/** Three real Netty servers on 127.0.0.1 behind {@code discovery:///svc}. */
class CircuitBreakerLoadBalancerTests {

	private final List<Backend> backends = new ArrayList<>();

	private final InMemoryServiceRegistry registry = InMemoryServiceRegistry.create();

	/** The breakers' clock: it moves only when a test advances it. */
	private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

	private ManagedChannel channel;

	@BeforeAll
	static void registerProviders() {
		DiscoveryNameResolverProvider.registerDefault();
		CircuitBreakerLoadBalancerProvider.registerDefault();
	}

	@BeforeEach
	void startBackends() throws Exception {
		for (int i = 1; i <= 3; i++) {
			Backend backend = new Backend("i" + i);
			this.backends.add(backend);
			this.registry.register(new ServiceInstance("svc", backend.id, "127.0.0.1", backend.port(), Map.of(),
					InstanceStatus.UP, Instant.now()));
		}
	}

	@AfterEach
	void stop() throws Exception {
		if (this.channel != null) {
			this.channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
		for (Backend backend : this.backends) {
			backend.server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
		this.registry.close();
	}

	/**
	 * Breakers with the given recovery timeout on {@link #clock}: an open breaker lets a trial call through only
	 * once the test has advanced the clock, however slowly a busy machine runs the test.
	 */
	private GrpcCircuitBreakers connect(Duration recoveryTimeout) {
		return connect(GrpcCircuitBreakers.builder()
			.defaults(CircuitBreakerSettings.builder().failureThreshold(3).recoveryTimeout(recoveryTimeout).build())
			.clock(this.clock)
			.build());
	}

	private GrpcCircuitBreakers connect(GrpcCircuitBreakers breakers) {
		this.channel = breakers.configure(DiscoveryNameResolverProvider
			.configure(NettyChannelBuilder.forTarget("discovery:///svc").usePlaintext(), this.registry)).build();
		// every instance answers once, so that all three are in the rotation
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			call();
			assertThat(this.backends).allSatisfy((backend) -> assertThat(backend.served).hasPositiveValue());
		});
		return breakers;
	}

	private SimpleResponse call() {
		return SimpleServiceGrpc.newBlockingStub(this.channel)
			.withDeadlineAfter(5, TimeUnit.SECONDS)
			.unaryRpc(SimpleRequest.getDefaultInstance());
	}

	private int served() {
		return this.backends.stream().mapToInt((backend) -> backend.served.get()).sum();
	}

	@Test
	void instanceWithOpenBreakerLeavesRotationWhileOthersServeThenRejoinsAfterRecoveryTimeout() {
		GrpcCircuitBreakers breakers = connect(Duration.ofMillis(1000));
		Backend sick = this.backends.get(1);
		sick.answer.set(Status.UNAVAILABLE.withDescription("i2 is sick"));
		int sickServedBefore = sick.served.get();
		int failures = 0;
		while (failures < 3) {
			try {
				call();
			}
			catch (StatusRuntimeException ex) {
				assertThat(ex.getStatus().getDescription()).isEqualTo("i2 is sick");
				failures++;
			}
			assertThat(sick.served.get() - sickServedBefore).isEqualTo(failures);
		}
		assertThat(breakers.instanceBreaker("svc", "i2").getState()).isEqualTo(State.OPEN);
		// the others keep serving, and the client sees no more failure
		for (int i = 0; i < 12; i++) {
			assertThat(call()).isNotNull();
		}
		assertThat(sick.served.get() - sickServedBefore).isEqualTo(3);
		// its failures were the instance's: the service breaker stays closed
		assertThat(breakers.serviceBreaker("svc").getState()).isEqualTo(State.CLOSED);
		// the instance breaker counted them, so they stay out of the service breaker's window
		assertThat(breakers.serviceBreaker("svc").getMetrics().getNumberOfFailedCalls()).isZero();
		assertThat(breakers.metrics().failedRequests()).isEqualTo(3);

		sick.answer.set(Status.OK);
		// resilience4j half-opens strictly after the recovery timeout
		this.clock.advance(Duration.ofMillis(1001));
		await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
			call();
			assertThat(breakers.instanceBreaker("svc", "i2").getState()).isEqualTo(State.CLOSED);
		});
		int sickServedAfterRecovery = sick.served.get();
		for (int i = 0; i < 9; i++) {
			call();
		}
		assertThat(sick.served.get() - sickServedAfterRecovery).as("i2 back in the rotation").isGreaterThanOrEqualTo(2);
	}

	@Test
	void instanceFlappingBackWithinRetentionKeepsItsOpenBreakerAndOneBackLaterStartsAfresh() {
		GrpcCircuitBreakers breakers = connect(GrpcCircuitBreakers.builder()
			.defaults(CircuitBreakerSettings.builder().failureThreshold(3).recoveryTimeout(Duration.ofHours(1)).build())
			.clock(this.clock)
			.instanceRetention(Duration.ofMinutes(1))
			.build());
		Backend sick = this.backends.get(1);
		ServiceInstance i2 = this.registry.getInstances("svc").get(1);
		assertThat(i2.instanceId()).isEqualTo("i2");
		sick.answer.set(Status.UNAVAILABLE.withDescription("i2 is sick"));
		await().atMost(Duration.ofSeconds(10)).until(() -> {
			try {
				call();
			}
			catch (StatusRuntimeException ex) {
				assertThat(ex.getStatus().getDescription()).isEqualTo("i2 is sick");
			}
			return breakers.instanceBreaker("svc", "i2").getState() == State.OPEN;
		});
		CircuitBreaker open = breakers.instanceBreaker("svc", "i2");

		// a flap: i2 leaves discovery, the channel lets its breaker go, i2 is back 30 s later
		this.registry.deregister("svc", "i2");
		await().atMost(Duration.ofSeconds(10)).until(() -> holders(breakers, "svc/i2") == 0);
		this.clock.advance(Duration.ofSeconds(30));
		this.registry.register(i2);
		await().atMost(Duration.ofSeconds(10)).until(() -> holders(breakers, "svc/i2") == 1);
		assertThat(breakers.instanceBreaker("svc", "i2")).isSameAs(open);
		assertThat(open.getState()).isEqualTo(State.OPEN);
		int sickServed = sick.served.get();
		for (int i = 0; i < 9; i++) {
			call();
		}
		assertThat(sick.served.get()).as("i2 still out of the rotation").isEqualTo(sickServed);

		// gone for longer than the retention: its breaker is removed, and it comes back with a fresh one
		this.registry.deregister("svc", "i2");
		await().atMost(Duration.ofSeconds(10)).until(() -> holders(breakers, "svc/i2") == 0);
		this.clock.advance(Duration.ofMinutes(2));
		assertThat(breakers.removeExpiredInstanceBreakers()).isOne();
		assertThat(breakers.states()).doesNotContainKey("svc/i2");
		assertThat(breakers.registry().find("svc/i2")).isEmpty();
		sick.answer.set(Status.OK);
		this.registry.register(i2);
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			call();
			assertThat(sick.served.get()).isGreaterThan(sickServed);
		});
		assertThat(breakers.instanceBreaker("svc", "i2")).isNotSameAs(open);
		assertThat(breakers.instanceBreaker("svc", "i2").getState()).isEqualTo(State.CLOSED);
	}

	/** How many channels hold an instance breaker, read without creating it. */
	private static int holders(GrpcCircuitBreakers breakers, String name) {
		BreakerEntry entry = breakers.existing(name);
		return (entry != null) ? entry.holders : -1;
	}

	@Test
	void failedTrialCallKeepsTheInstanceOutForAnotherRecoveryTimeout() {
		GrpcCircuitBreakers breakers = connect(Duration.ofMillis(500));
		Backend sick = this.backends.get(2);
		sick.answer.set(Status.UNAVAILABLE.withDescription("i3 is sick"));
		AtomicInteger failures = new AtomicInteger();
		Runnable callCountingFailures = () -> {
			try {
				call();
			}
			catch (StatusRuntimeException ex) {
				assertThat(ex.getStatus().getDescription()).isEqualTo("i3 is sick");
				failures.incrementAndGet();
			}
		};
		while (failures.get() < 3) {
			callCountingFailures.run();
		}
		int sickServed = sick.served.get();
		List<CircuitBreakerTransition> transitions = new java.util.concurrent.CopyOnWriteArrayList<>();
		breakers.addListener(transitions::add);
		// after the recovery timeout exactly one trial call reaches i3, fails, and i3 is out again (for another
		// recovery timeout, which the clock never reaches below)
		this.clock.advance(Duration.ofMillis(501));
		await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
			callCountingFailures.run();
			assertThat(transitions).extracting(CircuitBreakerTransition::to).contains(State.OPEN);
		});
		assertThat(transitions).extracting(CircuitBreakerTransition::name).containsOnly("svc/i3");
		assertThat(transitions).extracting(CircuitBreakerTransition::to)
			.containsExactly(State.HALF_OPEN, State.OPEN);
		assertThat(sick.served.get() - sickServed).isEqualTo(1);
		assertThat(failures).hasValue(4);
		for (int i = 0; i < 6; i++) {
			callCountingFailures.run();
		}
		assertThat(failures).hasValue(4);
	}

	@Test
	void everyInstanceOpenFailsCallsFastWithUnavailableNamingTheService() {
		GrpcCircuitBreakers breakers = connect(Duration.ofSeconds(30));
		for (Backend backend : this.backends) {
			backend.answer.set(Status.UNAVAILABLE.withDescription(backend.id + " is down"));
		}
		int servedBefore = served();
		for (int i = 0; i < 9; i++) {
			assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(this::call)
				.satisfies((ex) -> assertThat(ex.getStatus().getDescription()).endsWith(" is down"));
		}
		assertThat(breakers.openCircuits()).containsExactly("svc/i1", "svc/i2", "svc/i3");
		assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(this::call).satisfies((ex) -> {
			assertThat(ex.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
			assertThat(ex.getStatus().getDescription())
				.startsWith("Every instance of service 'svc' is out of load balancing");
		});
		assertThat(served() - servedBefore).isEqualTo(9);
		// what no instance could take, the service breaker counts: it opens and fails calls at once
		for (int i = 0; i < 2; i++) {
			assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(this::call);
		}
		assertThat(breakers.serviceBreaker("svc").getState()).isEqualTo(State.OPEN);
		assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(this::call)
			.satisfies((ex) -> assertThat(ex.getStatus().getDescription())
				.startsWith("Circuit breaker 'svc' of service 'svc' is OPEN"));
		assertThat(served() - servedBefore).isEqualTo(9);
	}

	@Test
	void healthChecksThroughTheBalancerNeverCountInAnyBreaker() {
		GrpcCircuitBreakers breakers = connect(Duration.ofSeconds(30));
		for (Backend backend : this.backends) {
			backend.answer.set(Status.UNAVAILABLE);
		}
		HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(this.channel);
		for (int i = 0; i < 15; i++) {
			assertThatExceptionOfType(StatusRuntimeException.class)
				.isThrownBy(() -> health.check(HealthCheckRequest.getDefaultInstance()));
		}
		assertThat(this.backends).allSatisfy((backend) -> assertThat(backend.healthChecks).hasValue(5));
		assertThat(breakers.openCircuits()).isEmpty();
		assertThat(breakers.metrics().breakers()).allSatisfy((breaker) -> {
			assertThat(breaker.failedRequests()).isZero();
			assertThat(breaker.state()).isEqualTo(State.CLOSED);
		});
	}

	@Test
	void withoutBreakersOnTheChannelThePolicyBalancesAsRoundRobin() {
		this.channel = DiscoveryNameResolverProvider
			.configure(NettyChannelBuilder.forTarget("discovery:///svc").usePlaintext(), this.registry)
			.build();
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			call();
			assertThat(this.backends).allSatisfy((backend) -> assertThat(backend.served).hasPositiveValue());
		});
		this.backends.get(1).answer.set(Status.UNAVAILABLE);
		int failures = 0;
		for (int i = 0; i < 12; i++) {
			try {
				call();
			}
			catch (StatusRuntimeException ex) {
				failures++;
			}
		}
		assertThat(failures).as("no breaker takes i2 out").isEqualTo(4);
	}

	private static final class Backend {

		final String id;

		final AtomicInteger served = new AtomicInteger();

		final AtomicInteger healthChecks = new AtomicInteger();

		final AtomicReference<Status> answer = new AtomicReference<>(Status.OK);

		final Server server;

		Backend(String id) throws Exception {
			this.id = id;
			this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
				.directExecutor()
				.addService(new SimpleServiceGrpc.SimpleServiceImplBase() {

					@Override
					public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responseObserver) {
						Backend.this.served.incrementAndGet();
						Status status = Backend.this.answer.get();
						if (status.isOk()) {
							responseObserver.onNext(SimpleResponse.getDefaultInstance());
							responseObserver.onCompleted();
						}
						else {
							responseObserver.onError(status.asRuntimeException());
						}
					}

				})
				.addService(new HealthGrpc.HealthImplBase() {

					@Override
					public void check(HealthCheckRequest request,
							StreamObserver<HealthCheckResponse> responseObserver) {
						Backend.this.healthChecks.incrementAndGet();
						responseObserver.onError(Backend.this.answer.get().asRuntimeException());
					}

				})
				.build()
				.start();
		}

		int port() {
			return ((InetSocketAddress) this.server.getListenSockets().get(0)).getPort();
		}

	}

}
