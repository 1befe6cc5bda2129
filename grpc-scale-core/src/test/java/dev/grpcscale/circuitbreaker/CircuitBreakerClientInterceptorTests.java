package dev.grpcscale.circuitbreaker;

import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class CircuitBreakerClientInterceptorTests {

	private final AtomicInteger served = new AtomicInteger();

	private final AtomicReference<Status> answer = new AtomicReference<>(Status.OK);

	private final GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
		.defaults(CircuitBreakerSettings.builder().failureThreshold(3).build())
		.build();

	private Server server;

	private ManagedChannel channel;

	@BeforeEach
	void startServer() throws Exception {
		String name = InProcessServerBuilder.generateName();
		this.server = InProcessServerBuilder.forName(name)
			.directExecutor()
			.addService(new SimpleServiceGrpc.SimpleServiceImplBase() {

				@Override
				public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responseObserver) {
					CircuitBreakerClientInterceptorTests.this.served.incrementAndGet();
					reply(responseObserver, SimpleResponse.getDefaultInstance());
				}

				@Override
				public StreamObserver<SimpleRequest> clientStreamingRpc(
						StreamObserver<SimpleResponse> responseObserver) {
					CircuitBreakerClientInterceptorTests.this.served.incrementAndGet();
					reply(responseObserver, SimpleResponse.getDefaultInstance());
					return new StreamObserver<>() {

						@Override
						public void onNext(SimpleRequest value) {
						}

						@Override
						public void onError(Throwable t) {
						}

						@Override
						public void onCompleted() {
						}

					};
				}

			})
			.addService(new HealthGrpc.HealthImplBase() {

				@Override
				public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> responseObserver) {
					CircuitBreakerClientInterceptorTests.this.served.incrementAndGet();
					reply(responseObserver, HealthCheckResponse.getDefaultInstance());
				}

			})
			.build()
			.start();
		this.channel = InProcessChannelBuilder.forName(name)
			.directExecutor()
			.intercept(CircuitBreakerClientInterceptor.builder(this.breakers)
				.serviceName("svc")
				.excludedMethods(Set.of("grpc.testing.SimpleService/ClientStreamingRpc"))
				.build())
			.build();
	}

	private <T> void reply(StreamObserver<T> observer, T response) {
		Status status = this.answer.get();
		if (status.isOk()) {
			observer.onNext(response);
			observer.onCompleted();
		}
		else {
			observer.onError(status.asRuntimeException());
		}
	}

	@AfterEach
	void stop() {
		this.channel.shutdownNow();
		this.server.shutdownNow();
	}

	private void unary() {
		SimpleServiceGrpc.newBlockingStub(this.channel).unaryRpc(SimpleRequest.getDefaultInstance());
	}

	@Test
	void failsFastWithUnavailableNamingServiceAndBreakerWhenOpen() {
		this.answer.set(Status.UNAVAILABLE.withDescription("server down"));
		for (int i = 0; i < 3; i++) {
			assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(this::unary)
				.satisfies((ex) -> assertThat(ex.getStatus().getDescription()).isEqualTo("server down"));
		}
		assertThat(this.breakers.serviceBreaker("svc").getState()).isEqualTo(State.OPEN);
		int servedBefore = this.served.get();
		assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(this::unary).satisfies((ex) -> {
			assertThat(ex.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
			assertThat(ex.getStatus().getDescription()).isEqualTo("Circuit breaker 'svc' of service 'svc' is OPEN: "
					+ "call to grpc.testing.SimpleService/UnaryRpc rejected without reaching the network");
		});
		assertThat(this.served).hasValue(servedBefore);
		CircuitBreakerMetrics metrics = this.breakers.metrics();
		assertThat(metrics.failedRequests()).isEqualTo(3);
		assertThat(metrics.rejectedRequests()).isEqualTo(1);
		assertThat(metrics.totalRequests()).isEqualTo(4);
	}

	@Test
	void statusCodesOutsideExpectedErrorsNeverOpenTheBreaker() {
		this.answer.set(Status.INVALID_ARGUMENT);
		for (int i = 0; i < 10; i++) {
			assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(this::unary);
		}
		assertThat(this.breakers.serviceBreaker("svc").getState()).isEqualTo(State.CLOSED);
		assertThat(this.breakers.metrics().successfulRequests()).isEqualTo(10);
	}

	@Test
	void healthCheckCallsNeverCount() {
		this.answer.set(Status.UNAVAILABLE);
		HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(this.channel);
		for (int i = 0; i < 10; i++) {
			assertThatExceptionOfType(StatusRuntimeException.class)
				.isThrownBy(() -> health.check(HealthCheckRequest.getDefaultInstance()));
		}
		assertThat(this.served).hasValue(10);
		assertThat(this.breakers.states()).isEmpty();
		assertThat(this.breakers.metrics().totalRequests()).isZero();
	}

	@Test
	void excludedMethodsNeverCount() {
		this.answer.set(Status.UNAVAILABLE);
		SimpleServiceGrpc.SimpleServiceStub async = SimpleServiceGrpc.newStub(this.channel);
		AtomicInteger errors = new AtomicInteger();
		for (int i = 0; i < 10; i++) {
			StreamObserver<SimpleRequest> requests = async.clientStreamingRpc(new StreamObserver<>() {

				@Override
				public void onNext(SimpleResponse value) {
				}

				@Override
				public void onError(Throwable t) {
					errors.incrementAndGet();
				}

				@Override
				public void onCompleted() {
				}

			});
			requests.onCompleted();
		}
		assertThat(errors).hasValue(10);
		assertThat(this.served).hasValue(10);
		assertThat(this.breakers.states()).isEmpty();
	}

	@Test
	void serviceNameDefaultsToTheChannelAuthority() {
		ManagedChannel byAuthority = InProcessChannelBuilder.forName("unused")
			.overrideAuthority("product-service")
			.directExecutor()
			.build();
		try {
			io.grpc.Channel intercepted = io.grpc.ClientInterceptors.intercept(byAuthority,
					this.breakers.clientInterceptor());
			assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(() -> SimpleServiceGrpc
				.newBlockingStub(intercepted)
				.unaryRpc(SimpleRequest.getDefaultInstance()));
			assertThat(this.breakers.states()).containsOnlyKeys("product-service");
		}
		finally {
			byAuthority.shutdownNow();
		}
	}

}
