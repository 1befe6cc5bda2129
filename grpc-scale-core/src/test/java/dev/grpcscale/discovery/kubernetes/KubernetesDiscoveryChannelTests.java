package dev.grpcscale.discovery.kubernetes;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.test.junit.CloseAfterEach;
import dev.grpcscale.test.kubernetes.EndpointSlices;
import dev.grpcscale.test.kubernetes.KubernetesApiServer;

import static dev.grpcscale.test.kubernetes.EndpointSlices.endpoint;
import static dev.grpcscale.test.kubernetes.EndpointSlices.pod;
import static dev.grpcscale.test.kubernetes.EndpointSlices.port;
import static org.awaitility.Awaitility.await;

/**
 * A {@code discovery:///} channel on {@link KubernetesServiceDiscovery} follows the EndpointSlices of a
 * Service written to fabric8's CRUD mock API server, calling real gRPC servers on loopback.
 */
class KubernetesDiscoveryChannelTests {

	private static final Duration WAIT = Duration.ofSeconds(20);

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	@BeforeAll
	static void registerResolver() {
		DiscoveryNameResolverProvider.registerDefault();
	}

	@Test
	void aDiscoveryChannelFollowsTheReadyEndpoints() throws IOException {
		KubernetesClient client = this.resources.track(KubernetesApiServer.start()).client();
		EndpointSlices slices = new EndpointSlices(client, "shop");
		int a = serve("a");
		int b = serve("b");
		// the EndpointSlice controller puts endpoints with different ports in different slices
		slices.put("users", "users-a", List.of(port("grpc", a)), pod("users-a"));
		KubernetesServiceDiscovery discovery = this.resources
			.track(KubernetesServiceDiscovery.builder(client).namespace("shop").build());
		ManagedChannel channel = DiscoveryNameResolverProvider
			.configure(ManagedChannelBuilder.forTarget("discovery:///users").usePlaintext(), discovery)
			.defaultLoadBalancingPolicy("round_robin")
			.build();
		this.resources.track(channel::shutdownNow);
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel);

		await().atMost(WAIT).ignoreExceptionsInstanceOf(StatusRuntimeException.class).until(() -> answers(stub, 4).equals(Set.of("a")));
		slices.put("users", "users-b", List.of(port("grpc", b)), pod("users-b"));
		await().atMost(WAIT).ignoreExceptionsInstanceOf(StatusRuntimeException.class).until(() -> answers(stub, 6).equals(Set.of("a", "b")));

		// a turns unready: its calls stop at once, while b keeps answering
		slices.put("users", "users-a", List.of(port("grpc", a)), endpoint("users-a", "127.0.0.1", false, false, false));
		await().atMost(WAIT).ignoreExceptionsInstanceOf(StatusRuntimeException.class).until(() -> answers(stub, 6).equals(Set.of("b")));

		// b terminates (still serving), a is ready again
		slices.put("users", "users-b", List.of(port("grpc", b)), endpoint("users-b", "127.0.0.1", false, true, true));
		slices.put("users", "users-a", List.of(port("grpc", a)), pod("users-a"));
		await().atMost(WAIT).ignoreExceptionsInstanceOf(StatusRuntimeException.class).until(() -> answers(stub, 6).equals(Set.of("a")));
	}

	private int serve(String name) throws IOException {
		Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.addService(new SimpleServiceGrpc.SimpleServiceImplBase() {
				@Override
				public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> observer) {
					observer.onNext(SimpleResponse.newBuilder().setResponseMessage(name).build());
					observer.onCompleted();
				}
			})
			.build()
			.start();
		this.resources.track(server::shutdownNow);
		return server.getPort();
	}

	private static Set<String> answers(SimpleServiceGrpc.SimpleServiceBlockingStub stub, int calls) {
		Set<String> answers = new HashSet<>();
		for (int i = 0; i < calls; i++) {
			answers.add(stub.withDeadlineAfter(Duration.ofSeconds(5))
				.unaryRpc(SimpleRequest.getDefaultInstance())
				.getResponseMessage());
		}
		return answers;
	}

}
