package dev.grpcscale.discovery.etcd;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;

import static dev.grpcscale.discovery.etcd.EtcdServiceRegistryTests.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A service process killed with {@code kill -9}: its instance must leave etcd, discovery watchers and the
 * load-balancing of a {@code discovery:///} channel within its lease TTL.
 */
class EtcdProcessCrashTests {

	private static final String NAMESPACE = "/crash";

	private static final long CHILD_LEASE_TTL_SECONDS = 2;

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private Process child;

	@AfterEach
	void cleanUp() throws Exception {
		if (this.child != null) {
			this.child.destroyForcibly().waitFor();
		}
	}

	@Test
	void instanceOfAKilledProcessLeavesWatchersAndChannelsWithinItsLeaseTtl() throws Exception {
		EtcdCluster etcd = EtcdCluster.startSingle();
		this.resources.track(etcd);
		Server serverA = startServer("a");
		Server serverB = startServer("b");
		EtcdServiceRegistry local = EtcdServiceRegistry.builder().endpoints(etcd.clientEndpoints()).namespace(NAMESPACE).build();
		this.resources.track(local);
		local.register(new ServiceInstance("orders", "a", "127.0.0.1", serverA.getPort(), Map.of(), InstanceStatus.UP,
				Instant.now()));
		this.child = startChild(etcd.clientEndpoint(0), "b", serverB.getPort());
		EtcdTestClients raw = new EtcdTestClients(etcd.clientEndpoints());
		this.resources.track(raw);
		String childKey = NAMESPACE + "/services/orders/b";
		await().atMost(Duration.ofSeconds(60)).until(() -> raw.exists(childKey));

		EtcdServiceRegistry discovery = EtcdServiceRegistry.builder().endpoints(etcd.clientEndpoints()).namespace(NAMESPACE).build();
		this.resources.track(discovery);
		List<List<String>> seen = new CopyOnWriteArrayList<>();
		discovery.watch("orders", (instances) -> seen.add(ids(instances)));
		DiscoveryNameResolverProvider.registerDefault();
		ManagedChannel channel = DiscoveryNameResolverProvider
			.configure(NettyChannelBuilder.forTarget("discovery:///orders").usePlaintext(), discovery)
			.build();
		this.resources.track(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel);
		Set<String> answered = ConcurrentHashMap.newKeySet();
		// a first call may outlast its deadline while a busy machine connects: that proves nothing, try again
		await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(StatusRuntimeException.class).until(() -> {
			answered.add(call(stub));
			return answered.containsAll(Set.of("a", "b"));
		});
		assertThat(seen).contains(List.of("a", "b"));

		long killedAt = System.nanoTime();
		this.child.destroyForcibly().waitFor();
		// The last keep-alive reached etcd before the kill, so the lease expires within the TTL; etcd revokes
		// expired leases every 500 ms. The rest (3.5 s) is room for a busy machine: the bound still fails a
		// registration that ignored the TTL asked for (the default is 15 s)
		await().atMost(Duration.ofSeconds(CHILD_LEASE_TTL_SECONDS + 4)).until(() -> !raw.exists(childKey));
		long keyGoneMillis = (System.nanoTime() - killedAt) / 1_000_000;
		// discovery learns of removals only from its watch (there is no periodic re-read it could fall back on),
		// so any bound shows the watch delivered it; 10 s leaves room for a busy machine
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.get(seen.size() - 1).equals(List.of("a")));
		long watcherMillis = (System.nanoTime() - killedAt) / 1_000_000;
		// server b still runs: only discovery can make the channel stop using it
		await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(StatusRuntimeException.class).until(() -> {
			for (int i = 0; i < 10; i++) {
				if (!"a".equals(call(stub))) {
					return false;
				}
			}
			return true;
		});
		long channelMillis = (System.nanoTime() - killedAt) / 1_000_000;
		System.out.printf("kill -9 -> key gone %d ms, watcher %d ms, channel only on a %d ms (lease TTL %d s)%n",
				keyGoneMillis, watcherMillis, channelMillis, CHILD_LEASE_TTL_SECONDS);
		assertThat(serverB.isShutdown()).isFalse();
		assertThat(seen).noneMatch(List::isEmpty);
	}

	private static String call(SimpleServiceGrpc.SimpleServiceBlockingStub stub) {
		return stub.withDeadlineAfter(2, TimeUnit.SECONDS)
			.unaryRpc(SimpleRequest.getDefaultInstance())
			.getResponseMessage();
	}

	private Server startServer(String name) throws IOException {
		Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.addService(new SimpleServiceGrpc.SimpleServiceImplBase() {
				@Override
				public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responseObserver) {
					responseObserver.onNext(SimpleResponse.newBuilder().setResponseMessage(name).build());
					responseObserver.onCompleted();
				}
			})
			.build()
			.start();
		this.resources.track(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
		return server;
	}

	private static Process startChild(String endpoint, String instanceId, int port) throws IOException {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		Path log = Files.createTempFile("grpc-scale-registering-process-", ".log");
		log.toFile().deleteOnExit();
		return new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
				System.getProperty("java.class.path"), RegisteringProcess.class.getName(), endpoint, NAMESPACE, "orders",
				instanceId, Integer.toString(port), Long.toString(CHILD_LEASE_TTL_SECONDS))
			.redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.directory(new File("."))
			.start();
	}

}
