package dev.grpcscale.circuitbreaker;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
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

/**
 * {@code grpc_scale_round_robin} with a child policy and the rest of a channel's service config, over three
 * real Netty servers on 127.0.0.1 behind {@code discovery:///svc}.
 */
class CircuitBreakerLoadBalancerChildPolicyTests {

	private final List<Backend> backends = new ArrayList<>();

	private final InMemoryServiceRegistry registry = InMemoryServiceRegistry.create();

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

	private GrpcCircuitBreakers connect(Map<String, ?> serviceConfig, String defaultPolicy, int failureThreshold) {
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
			.defaults(CircuitBreakerSettings.builder()
				.failureThreshold(failureThreshold)
				.recoveryTimeout(Duration.ofSeconds(30))
				.build())
			.build();
		this.channel = breakers
			.configure(DiscoveryNameResolverProvider
				.configure(NettyChannelBuilder.forTarget("discovery:///svc").usePlaintext(), this.registry))
			.defaultServiceConfig(CircuitBreakerLoadBalancerProvider.wrapServiceConfig(serviceConfig, defaultPolicy))
			.disableServiceConfigLookUp()
			.build();
		return breakers;
	}

	private SimpleResponse call() {
		return SimpleServiceGrpc.newBlockingStub(this.channel)
			.withDeadlineAfter(5, TimeUnit.SECONDS)
			.unaryRpc(SimpleRequest.getDefaultInstance());
	}

	private List<Backend> servedBackends() {
		return this.backends.stream().filter((backend) -> backend.served.get() > 0).toList();
	}

	@Test
	void pickFirstChildSendsEveryCallToOneInstanceUnderTheServiceBreaker() {
		GrpcCircuitBreakers breakers = connect(Map.of(), "pick_first", 3);
		for (int i = 0; i < 12; i++) {
			call();
		}
		assertThat(servedBackends()).as("pick_first, not round_robin").hasSize(1);
		Backend first = servedBackends().get(0);
		assertThat(first.served).hasValue(12);

		first.answer.set(Status.UNAVAILABLE.withDescription(first.id + " is sick"));
		for (int i = 0; i < 3; i++) {
			assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(this::call)
				.satisfies((ex) -> assertThat(ex.getStatus().getDescription()).isEqualTo(first.id + " is sick"));
		}
		assertThat(breakers.serviceBreaker("svc").getState()).isEqualTo(State.OPEN);
		assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(this::call)
			.satisfies((ex) -> assertThat(ex.getStatus().getDescription()).startsWith("Circuit breaker 'svc'"));
		assertThat(first.served).as("failed fast").hasValue(15);
	}

	@Test
	void roundRobinChildNamedInTheConfigTakesAnInstanceWithAnOpenBreakerOut() {
		GrpcCircuitBreakers breakers = connect(
				Map.of("loadBalancingConfig", List.of(Map.of("round_robin", Map.of()))), "pick_first", 3);
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			call();
			assertThat(servedBackends()).hasSize(3);
		});
		Backend sick = this.backends.get(1);
		sick.answer.set(Status.UNAVAILABLE.withDescription("i2 is sick"));
		int failures = 0;
		for (int i = 0; i < 15; i++) {
			try {
				call();
			}
			catch (StatusRuntimeException ex) {
				failures++;
			}
		}
		assertThat(failures).isEqualTo(3);
		assertThat(breakers.instanceBreaker("svc", "i2").getState()).isEqualTo(State.OPEN);
		assertThat(breakers.serviceBreaker("svc").getState()).isEqualTo(State.CLOSED);
	}

	@Test
	void healthCheckConfigTakesANotServingInstanceOutAndBreakersStillTakeAFailingOneOut() {
		Backend notServing = this.backends.get(1);
		notServing.health.setStatus("", ServingStatus.NOT_SERVING);
		GrpcCircuitBreakers breakers = connect(Map.of("healthCheckConfig", Map.of("serviceName", "")), "round_robin",
				3);
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			call();
			assertThat(this.backends.get(0).served).hasPositiveValue();
			assertThat(this.backends.get(2).served).hasPositiveValue();
		});
		for (int i = 0; i < 12; i++) {
			call();
		}
		assertThat(notServing.served).as("NOT_SERVING gets no call").hasValue(0);
		assertThat(this.backends).allSatisfy((backend) -> assertThat(backend.healthWatches).hasPositiveValue());

		Backend failing = this.backends.get(0);
		failing.answer.set(Status.UNAVAILABLE.withDescription("i1 is sick"));
		int failures = 0;
		for (int i = 0; i < 12; i++) {
			try {
				call();
			}
			catch (StatusRuntimeException ex) {
				failures++;
			}
		}
		assertThat(failures).isEqualTo(3);
		assertThat(breakers.instanceBreaker("svc", "i1").getState()).isEqualTo(State.OPEN);
		int thirdBefore = this.backends.get(2).served.get();
		for (int i = 0; i < 6; i++) {
			call();
		}
		assertThat(this.backends.get(2).served.get() - thirdBefore).as("the one instance left serves").isEqualTo(6);
		assertThat(notServing.served).hasValue(0);
	}

	@Test
	void retryPolicyOfTheServiceConfigRetriesAFailedAttempt() {
		AtomicInteger attempts = new AtomicInteger();
		for (Backend backend : this.backends) {
			backend.failOddAttempts = attempts;
		}
		Map<String, ?> retry = Map.of("methodConfig",
				List.of(Map.of("name", List.of(Map.of("service", SimpleServiceGrpc.SERVICE_NAME)), "retryPolicy",
						Map.of("maxAttempts", 3.0, "initialBackoff", "0.01s", "maxBackoff", "0.05s", "backoffMultiplier",
								2.0, "retryableStatusCodes", List.of("UNAVAILABLE")))));
		GrpcCircuitBreakers breakers = connect(retry, "round_robin", 100);
		for (int i = 0; i < 12; i++) {
			assertThat(call()).isNotNull();
		}
		assertThat(attempts).as("every call failed once, then was retried").hasValue(24);
		assertThat(breakers.instanceBreaker("svc", "i1").getMetrics().getNumberOfFailedCalls()
				+ breakers.instanceBreaker("svc", "i2").getMetrics().getNumberOfFailedCalls()
				+ breakers.instanceBreaker("svc", "i3").getMetrics().getNumberOfFailedCalls())
			.as("each failed attempt counted by its instance")
			.isEqualTo(12);
	}

	@Test
	@SuppressWarnings("deprecation")
	void badChildPolicyFailsCallsWithAnErrorStatusInsteadOfThrowing() {
		Map<String, ?> serviceConfig = Map.of("loadBalancingConfig", List.of(Map.of(
				CircuitBreakerLoadBalancerProvider.POLICY_NAME, Map.of("childPolicy", List.of(Map.of("no_such_policy", Map.of()))))));
		this.channel = NettyChannelBuilder.forTarget("fixed:///svc")
			.nameResolverFactory(new FixedResolverProvider(this.backends.get(0).port(), serviceConfig))
			.usePlaintext()
			.build();
		assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(this::call)
			.satisfies((ex) -> assertThat(ex.getStatus().getDescription()).contains("grpc_scale_round_robin childPolicy")
				.contains("no_such_policy"));
		assertThat(this.backends.get(0).served).hasValue(0);
	}

	@Test
	void parseErrorsAreReturnedAsStatusesNeverThrown() {
		CircuitBreakerLoadBalancerProvider provider = new CircuitBreakerLoadBalancerProvider();
		assertThat(provider.parseLoadBalancingPolicyConfig(Map.of()).getConfig()).hasToString(
				"grpc_scale_round_robin{childPolicy=[{round_robin={}}]}");
		assertThat(provider.parseLoadBalancingPolicyConfig(
				Map.of("childPolicy", List.of(Map.of("no_such_policy", Map.of()), Map.of("pick_first", Map.of()))))
			.getConfig()).as("the first known policy").isNotNull();
		for (Object bad : List.of("round_robin", List.of(), List.of("round_robin"),
				List.of(Map.of("round_robin", Map.of(), "pick_first", Map.of())), List.of(Map.of("no_such_policy", Map.of())),
				List.of(Map.of(CircuitBreakerLoadBalancerProvider.POLICY_NAME, Map.of())),
				List.of(Map.of("pick_first", Map.of("shuffleAddressList", "yes"))))) {
			NameResolver.ConfigOrError parsed = provider.parseLoadBalancingPolicyConfig(Map.of("childPolicy", bad));
			assertThat(parsed.getError()).as("childPolicy %s", bad).isNotNull();
			assertThat(parsed.getError().getDescription()).startsWith("grpc_scale_round_robin");
		}
	}

	@Test
	void wrapServiceConfigNestsThePolicyAndKeepsTheRest() {
		Map<String, Object> methodConfig = Map.of("name", List.of(Map.of("service", "svc")), "timeout", "1s");
		assertThat(CircuitBreakerLoadBalancerProvider.wrapServiceConfig(
				Map.of("methodConfig", List.of(methodConfig), "healthCheckConfig", Map.of("serviceName", "")), "pick_first"))
			.containsEntry("methodConfig", List.of(methodConfig))
			.containsEntry("healthCheckConfig", Map.of("serviceName", ""))
			.containsEntry("loadBalancingConfig",
					List.of(Map.of("grpc_scale_round_robin", Map.of("childPolicy", List.of(Map.of("pick_first", Map.of())))),
							Map.of("pick_first", Map.of())));
		List<Map<String, ?>> own = List.of(Map.of("round_robin", Map.of()));
		assertThat(CircuitBreakerLoadBalancerProvider.wrapServiceConfig(Map.of("loadBalancingConfig", own), "pick_first"))
			.containsEntry("loadBalancingConfig", List.of(
					Map.of("grpc_scale_round_robin", Map.of("childPolicy", own)), Map.of("round_robin", Map.of())));
		assertThat(CircuitBreakerLoadBalancerProvider.wrapServiceConfig(Map.of("loadBalancingPolicy", "PICK_FIRST"),
				"round_robin"))
			.doesNotContainKey("loadBalancingPolicy")
			.containsEntry("loadBalancingConfig",
					List.of(Map.of("grpc_scale_round_robin", Map.of("childPolicy", List.of(Map.of("pick_first", Map.of())))),
							Map.of("pick_first", Map.of())));
		Map<String, Object> wrapped = CircuitBreakerLoadBalancerProvider.wrapServiceConfig(Map.of(), "round_robin");
		assertThat(CircuitBreakerLoadBalancerProvider.wrapServiceConfig(wrapped, "pick_first")).isEqualTo(wrapped);
		assertThatExceptionOfType(IllegalArgumentException.class)
			.isThrownBy(() -> CircuitBreakerLoadBalancerProvider.wrapServiceConfig(Map.of(), " "))
			.withMessage("defaultPolicy: ' ' (expected: a load-balancing policy name)");
	}

	/** Resolves {@code fixed:///...} to one address with a given service config. */
	private static final class FixedResolverProvider extends NameResolverProvider {

		private final int port;

		private final Map<String, ?> serviceConfig;

		FixedResolverProvider(int port, Map<String, ?> serviceConfig) {
			this.port = port;
			this.serviceConfig = serviceConfig;
		}

		@Override
		public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
			return new NameResolver() {

				@Override
				public String getServiceAuthority() {
					return "svc";
				}

				@Override
				public void start(Listener2 listener) {
					listener.onResult(ResolutionResult.newBuilder()
						.setAddresses(List.of(new EquivalentAddressGroup(
								new InetSocketAddress("127.0.0.1", FixedResolverProvider.this.port))))
						.setServiceConfig(args.getServiceConfigParser()
							.parseServiceConfig(FixedResolverProvider.this.serviceConfig))
						.build());
				}

				@Override
				public void shutdown() {
				}

			};
		}

		@Override
		public String getDefaultScheme() {
			return "fixed";
		}

		@Override
		protected boolean isAvailable() {
			return true;
		}

		@Override
		protected int priority() {
			return 5;
		}

	}

	private static final class Backend {

		final String id;

		final AtomicInteger served = new AtomicInteger();

		final AtomicInteger healthWatches = new AtomicInteger();

		final AtomicReference<Status> answer = new AtomicReference<>(Status.OK);

		final HealthStatusManager health = new HealthStatusManager();

		/** When set, the attempts counted there fail when odd, over all backends. */
		volatile AtomicInteger failOddAttempts;

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
						AtomicInteger attempts = Backend.this.failOddAttempts;
						if (attempts != null && attempts.incrementAndGet() % 2 == 1) {
							status = Status.UNAVAILABLE.withDescription("odd attempt");
						}
						if (status.isOk()) {
							responseObserver.onNext(SimpleResponse.getDefaultInstance());
							responseObserver.onCompleted();
						}
						else {
							responseObserver.onError(status.asRuntimeException());
						}
					}

				})
				.addService(io.grpc.ServerInterceptors.intercept(this.health.getHealthService(),
						new io.grpc.ServerInterceptor() {

							@Override
							public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call,
									io.grpc.Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {
								if (call.getMethodDescriptor().getBareMethodName().equals("Watch")) {
									Backend.this.healthWatches.incrementAndGet();
								}
								return next.startCall(call, headers);
							}

						}))
				.build()
				.start();
		}

		int port() {
			return ((InetSocketAddress) this.server.getListenSockets().get(0)).getPort();
		}

	}

}
