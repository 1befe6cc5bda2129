package dev.grpcscale.discovery;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class DiscoveryNameResolverProviderTests {

	private final List<Server> servers = new ArrayList<>();

	private final List<ManagedChannel> channels = new ArrayList<>();

	private final InMemoryServiceRegistry registry = InMemoryServiceRegistry.create();

	@BeforeAll
	static void register() {
		DiscoveryNameResolverProvider.registerDefault();
	}

	@AfterEach
	void close() {
		this.channels.forEach(ManagedChannel::shutdownNow);
		this.servers.forEach(Server::shutdownNow);
		this.registry.close();
	}

	@Test
	void registrationIsIdempotentAndKeepsDnsTheDefaultScheme() {
		DiscoveryNameResolverProvider.registerDefault();
		NameResolverRegistry registry = NameResolverRegistry.getDefaultRegistry();
		assertThat(registry.getProviderForScheme("discovery")).isInstanceOf(DiscoveryNameResolverProvider.class);
		assertThat(registry.getDefaultScheme()).isEqualTo("dns");
	}

	@Test
	void serviceNameIsTheSinglePathSegment() {
		assertThat(DiscoveryNameResolverProvider.serviceName("discovery:///product-service")).isEqualTo("product-service");
		assertThat(DiscoveryNameResolverProvider.serviceName("discovery:///a/b")).isNull();
		assertThat(DiscoveryNameResolverProvider.serviceName("discovery:///")).isNull();
		assertThat(DiscoveryNameResolverProvider.serviceName("dns:///localhost:1")).isNull();
	}

	@Test
	void callsAreSpreadRoundRobinAndFollowAdditionsAndRemovals() throws Exception {
		this.registry.register(start("svc", "a"));
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub("discovery:///svc");
		assertThat(new HashSet<>(call(stub, 4))).containsExactly("a");

		this.registry.register(start("svc", "b"));
		await().atMost(Duration.ofSeconds(5)).until(() -> new HashSet<>(call(stub, 4)).contains("b"));
		List<String> answers = call(stub, 10);
		assertThat(answers.stream().filter("a"::equals).count()).isEqualTo(5);

		this.registry.deregister("svc", "a");
		// the resolver pushed the removal synchronously with the watch: the very next calls avoid "a"
		assertThat(new HashSet<>(call(stub, 6))).containsExactly("b");
	}

	@Test
	void whenDiscoveryHasNoInstanceLeftNewCallsFailFastNamingTheServiceAndRecoverWhenOneReturns() throws Exception {
		ServiceInstance a = start("svc", "a");
		ServiceInstance b = start("svc", "b");
		this.registry.register(a);
		this.registry.register(b);
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub("discovery:///svc");
		await().atMost(Duration.ofSeconds(5)).until(() -> new HashSet<>(call(stub, 4)).size() == 2);

		// both servers still run and the channel is READY: only discovery says they are gone
		this.registry.deregister("svc", "a");
		this.registry.deregister("svc", "b");
		for (int i = 0; i < 3; i++) {
			assertThatExceptionOfType(StatusRuntimeException.class)
				.isThrownBy(() -> stub.withDeadlineAfter(Duration.ofSeconds(5)).unaryRpc(SimpleRequest.getDefaultInstance()))
				.satisfies((ex) -> {
					assertThat(ex.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
					assertThat(ex.getStatus().getDescription()).isEqualTo("No instance of 'svc' is available in discovery");
				});
		}

		this.registry.register(b);
		assertThat(new HashSet<>(call(stub, 4))).containsExactly("b");
	}

	@Test
	void downInstancesReceiveNoCalls() throws Exception {
		ServiceInstance a = start("svc", "a");
		this.registry.register(a);
		this.registry.register(start("svc", "b"));
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub("discovery:///svc");
		await().atMost(Duration.ofSeconds(5)).until(() -> new HashSet<>(call(stub, 4)).size() == 2);
		this.registry.register(a.withStatus(InstanceStatus.DOWN));
		assertThat(new HashSet<>(call(stub, 6))).containsExactly("b");
	}

	@Test
	void unknownServiceFailsWithUnavailableNamingIt() {
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub("discovery:///missing");
		assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(() -> call(stub, 1))
			.satisfies((ex) -> {
				assertThat(ex.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
				assertThat(ex.getStatus().getDescription()).contains("'missing'");
			});
	}

	@Test
	void channelWithoutDiscoveryFailsWithAnExplanationInsteadOfThrowing() {
		ManagedChannel channel = ManagedChannelBuilder.forTarget("discovery:///svc").usePlaintext().build();
		this.channels.add(channel);
		assertThatExceptionOfType(StatusRuntimeException.class)
			.isThrownBy(() -> call(SimpleServiceGrpc.newBlockingStub(channel), 1))
			.satisfies((ex) -> assertThat(ex.getStatus().getDescription()).contains("has no ServiceDiscovery"));
	}

	@Test
	void targetWithSeveralPathSegmentsFailsCallsWithUnavailableNamingTheExpectedForm() {
		// grpc-java turns a resolver's INVALID_ARGUMENT into INTERNAL ("Inappropriate status code from control
		// plane"); the caller is to see the resolver's own code and reason
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub("discovery:///a/b");
		assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(() -> call(stub, 1))
			.satisfies((ex) -> {
				assertThat(ex.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
				assertThat(ex.getStatus().getDescription())
					.isEqualTo("Target 'discovery:///a/b' names no service (expected: discovery:///<service>,"
							+ " one name of letters, digits, '.', '_' or '-')");
			});
	}

	private ServiceInstance start(String service, String name) throws IOException {
		Server server = NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", 0))
			.addService(new SimpleServiceGrpc.SimpleServiceImplBase() {
				@Override
				public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> observer) {
					observer.onNext(SimpleResponse.newBuilder().setResponseMessage(name).build());
					observer.onCompleted();
				}
			})
			.build()
			.start();
		this.servers.add(server);
		return ServiceDefinition.builder(service).instanceId(name).port(server.getPort()).build()
			.toInstance(java.time.Instant.now());
	}

	private SimpleServiceGrpc.SimpleServiceBlockingStub stub(String target) {
		ManagedChannel channel = DiscoveryNameResolverProvider
			.configure(ManagedChannelBuilder.forTarget(target).usePlaintext(), this.registry)
			.build();
		this.channels.add(channel);
		return SimpleServiceGrpc.newBlockingStub(channel);
	}

	private static List<String> call(SimpleServiceGrpc.SimpleServiceBlockingStub stub, int count) {
		List<String> answers = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			answers.add(stub.withDeadlineAfter(Duration.ofSeconds(5))
				.unaryRpc(SimpleRequest.getDefaultInstance())
				.getResponseMessage());
		}
		return answers;
	}

	static Set<String> set(List<String> list) {
		return new HashSet<>(list);
	}

}
