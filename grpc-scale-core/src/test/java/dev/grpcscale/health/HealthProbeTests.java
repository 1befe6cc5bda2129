package dev.grpcscale.health;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.grpcscale.health.ControllableHealthService.Mode;

import static org.assertj.core.api.Assertions.assertThat;

/** One Check call and what its end counts as, against in-process servers, without a prober. */
class HealthProbeTests {

	private final List<Server> servers = new ArrayList<>();

	private final List<ManagedChannel> channels = new ArrayList<>();

	@AfterEach
	void close() {
		this.channels.forEach(ManagedChannel::shutdownNow);
		this.servers.forEach(Server::shutdownNow);
	}

	@ParameterizedTest
	@CsvSource({ "SERVING,", "NOT_SERVING,NOT_SERVING", "UNAVAILABLE,UNAVAILABLE: test" })
	void servingIsHealthyAndAnyOtherAnswerIsAFailureNamedAfterIt(Mode mode, @Nullable String error)
			throws Exception {
		ControllableHealthService health = new ControllableHealthService();
		health.mode = mode;

		assertThat(check(channelTo(health), HealthCheckOptions.defaults())).isEqualTo(new Result(error, false));
	}

	@Test
	void serverThatNeverAnswersFailsAtTheDeadline() throws Exception {
		ControllableHealthService health = new ControllableHealthService();
		health.mode = Mode.SILENT;

		Result result = check(channelTo(health),
				HealthCheckOptions.builder().timeout(Duration.ofMillis(50)).build());
		assertThat(result.error()).startsWith("DEADLINE_EXCEEDED");
		assertThat(result.unimplemented()).isFalse();
	}

	@Test
	void serverWithoutAHealthServiceIsHealthyAndFlaggedUnimplemented() throws Exception {
		ManagedChannel channel = channelTo(new io.grpc.testing.protobuf.SimpleServiceGrpc.SimpleServiceImplBase() {
		});

		assertThat(check(channel, HealthCheckOptions.defaults())).isEqualTo(new Result(null, true));
	}

	@Test
	void callThatCompletesWithoutAResponseIsAFailure() throws Exception {
		// a grpc-java server turns such a unary call into an error itself; served as server-streaming, it does not,
		// as a server of another implementation may not
		ServerServiceDefinition noResponse = ServerServiceDefinition.builder(HealthGrpc.SERVICE_NAME)
			.addMethod(HealthGrpc.getCheckMethod().toBuilder().setType(MethodType.SERVER_STREAMING).build(),
					HealthProbeTests::closeWithoutResponse)
			.build();

		assertThat(check(channelTo(() -> noResponse), HealthCheckOptions.defaults()))
			.isEqualTo(new Result(HealthProbe.NO_RESPONSE, false));
	}

	@Test
	void requestNamesTheConfiguredHealthServiceName() throws Exception {
		HealthStatusManager manager = new HealthStatusManager();
		manager.setStatus("grpc.testing.SimpleService", ServingStatus.SERVING);
		manager.setStatus("", ServingStatus.NOT_SERVING);
		ManagedChannel channel = channelTo(manager.getHealthService());

		assertThat(check(channel, HealthCheckOptions.builder().endpoint("grpc.testing.SimpleService").build()))
			.isEqualTo(new Result(null, false));
		assertThat(check(channel, HealthCheckOptions.defaults()).error()).isEqualTo("NOT_SERVING");
		assertThat(check(channel, HealthCheckOptions.builder().endpoint("missing").build()).error())
			.startsWith("NOT_FOUND");
	}

	@Test
	void channelInTransientFailureHasItsReconnectBackoffResetBeforeTheCall() throws Exception {
		StateChannel channel = new StateChannel(channelTo(new ControllableHealthService()));

		channel.state = ConnectivityState.READY;
		check(channel, HealthCheckOptions.defaults());
		assertThat(channel.resets).hasValue(0);

		channel.state = ConnectivityState.TRANSIENT_FAILURE;
		assertThat(check(channel, HealthCheckOptions.defaults())).isEqualTo(new Result(null, false));
		assertThat(channel.resets).hasValue(1);
	}

	/** A Check handler that reads the request and ends the call OK with no response. */
	private static ServerCall.Listener<HealthCheckRequest> closeWithoutResponse(
			ServerCall<HealthCheckRequest, HealthCheckResponse> call, Metadata headers) {
		call.request(1);
		return new ServerCall.Listener<HealthCheckRequest>() {

			@Override
			public void onHalfClose() {
				call.sendHeaders(new Metadata());
				call.close(Status.OK, new Metadata());
			}

		};
	}

	private static Result check(ManagedChannel channel, HealthCheckOptions options) throws Exception {
		CompletableFuture<Result> outcome = new CompletableFuture<>();
		HealthProbe.of(options).check(channel, (error, unimplemented) -> {
			if (!outcome.complete(new Result(error, unimplemented))) {
				throw new AssertionError("outcome told twice");
			}
		});
		return outcome.get(10, TimeUnit.SECONDS);
	}

	private ManagedChannel channelTo(BindableService service) throws IOException {
		String name = InProcessServerBuilder.generateName();
		this.servers.add(InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start());
		ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
		this.channels.add(channel);
		return channel;
	}

	private record Result(@Nullable String error, boolean unimplemented) {
	}

	/** A channel that reports the state a test sets and counts backoff resets; calls go to a real channel. */
	private static final class StateChannel extends ManagedChannel {

		private final ManagedChannel channel;

		volatile ConnectivityState state = ConnectivityState.IDLE;

		final AtomicInteger resets = new AtomicInteger();

		StateChannel(ManagedChannel channel) {
			this.channel = channel;
		}

		@Override
		public ConnectivityState getState(boolean requestConnection) {
			return this.state;
		}

		@Override
		public void resetConnectBackoff() {
			this.resets.incrementAndGet();
		}

		@Override
		public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
			return this.channel.newCall(method, options);
		}

		@Override
		public String authority() {
			return this.channel.authority();
		}

		@Override
		public ManagedChannel shutdown() {
			return this.channel.shutdown();
		}

		@Override
		public boolean isShutdown() {
			return this.channel.isShutdown();
		}

		@Override
		public boolean isTerminated() {
			return this.channel.isTerminated();
		}

		@Override
		public ManagedChannel shutdownNow() {
			return this.channel.shutdownNow();
		}

		@Override
		public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
			return this.channel.awaitTermination(timeout, unit);
		}

	}

}
