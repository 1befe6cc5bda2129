package dev.grpcscale.health;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Health checks over real Netty on loopback, with the default plaintext channel factory: a frozen peer and
 * a client calling without pause through a {@code discovery:///} channel.
 */
class HealthCheckingOverNettyTests {

	private static final Duration AWAIT = Duration.ofSeconds(10);

	private static final HealthCheckOptions FAST = HealthCheckOptions.builder()
		.interval(Duration.ofMillis(200))
		.timeout(Duration.ofMillis(100))
		.retries(2)
		.panicMode(false)
		.build();

	private final InMemoryServiceRegistry registry = InMemoryServiceRegistry.create();

	private final List<Server> servers = new ArrayList<>();

	private final List<ManagedChannel> channels = new ArrayList<>();

	private final List<AutoCloseable> closeables = new ArrayList<>();

	/** Listener events with the {@link System#nanoTime()} at which they were reported. */
	private final List<Timed> events = new CopyOnWriteArrayList<>();

	@AfterEach
	void close() throws Exception {
		this.channels.forEach(ManagedChannel::shutdownNow);
		for (AutoCloseable closeable : this.closeables) {
			closeable.close();
		}
		this.servers.forEach(Server::shutdownNow);
		this.registry.close();
	}

	@Test
	void peerThatAcceptsConnectionsButNeverAnswersIsMarkedDownAfterRetriesProbesEachBoundedByTimeout()
			throws Exception {
		ServerSocket frozen = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		List<Socket> accepted = new CopyOnWriteArrayList<>();
		Thread acceptor = new Thread(() -> {
			try {
				while (true) {
					accepted.add(frozen.accept());
				}
			}
			catch (IOException ex) {
				// closed at the end of the test
			}
		}, "test-frozen-acceptor");
		acceptor.start();
		this.closeables.add(() -> {
			frozen.close();
			acceptor.join(5000);
			for (Socket socket : accepted) {
				socket.close();
			}
		});
		register("frozen", frozen.getLocalPort());
		HealthCheckingServiceDiscovery discovery = discovery();

		long start = System.nanoTime();
		assertThat(discovery.getInstances("svc")).hasSize(1);
		Timed down = await().atMost(AWAIT).until(() -> change("frozen", InstanceStatus.DOWN, start), (event) -> event != null);
		long detectedMillis = TimeUnit.NANOSECONDS.toMillis(down.nanos() - start);

		List<InstanceHealth> checks = this.events.stream()
			.filter((event) -> !event.change() && event.nanos() <= down.nanos())
			.map(Timed::health)
			.toList();
		// each probe ended by its 100 ms deadline (the error says so; a frozen peer would never end it), later
		// only by how late a busy machine runs the deadline's timer
		assertThat(checks).hasSize(2).allSatisfy((check) -> {
			assertThat(check.lastError()).startsWith("DEADLINE_EXCEEDED");
			assertThat(check.lastLatency()).isBetween(Duration.ofMillis(100), Duration.ofSeconds(2));
		});
		assertThat(accepted).isNotEmpty();
		assertThat(discovery.getInstances("svc")).isEmpty();
		// first probe at once, the second one interval later, each ended by the 100 ms deadline: 400 ms, and
		// room for a busy machine; the two probes counted above are what shows the retries
		assertThat(detectedMillis).isBetween(300L, 5000L);
		System.out.printf("FIGURE frozen socket: marked DOWN %d ms after probing started (interval 200 ms, "
				+ "timeout 100 ms, retries 2); probe latencies %s%n", detectedMillis,
				checks.stream().map((check) -> check.lastLatency().toMillis() + " ms").toList());
	}

	@Test
	void callsStopGoingToAFrozenInstanceOnceItIsMarkedDownAndResumeWhenItAnswersAgain() throws Exception {
		TestServer a = startServer("a");
		TestServer b = startServer("b");
		HealthCheckingServiceDiscovery discovery = discovery();
		DiscoveryNameResolverProvider.registerDefault();
		ManagedChannel channel = DiscoveryNameResolverProvider
			.configure(ManagedChannelBuilder.forTarget("discovery:///svc").usePlaintext(), discovery)
			.build();
		this.channels.add(channel);
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel);

		Client client = new Client(stub);
		this.closeables.add(client);
		client.start();
		await().atMost(AWAIT).until(() -> client.answeredBy("b", 0) >= 10 && client.answeredBy("a", 0) >= 10);

		long frozenAt = System.nanoTime();
		b.frozen.set(true);
		Timed down = await().atMost(AWAIT).until(() -> change("b", InstanceStatus.DOWN, frozenAt), (event) -> event != null);
		int bCallsAtDown = b.calls.get();
		await().atMost(AWAIT).until(() -> client.startedAfter(down.nanos()) >= 500);
		List<Call> afterDown = client.calls.stream().filter((call) -> call.start() >= down.nanos()).toList();
		// none answered by B; on a loaded machine a call may still miss its 100 ms deadline on A
		assertThat(afterDown).noneMatch((call) -> call.answer().equals("b"));
		assertThat(afterDown.stream().filter((call) -> call.answer().equals("a")).count())
			.isGreaterThanOrEqualTo(afterDown.size() - 5L);
		// at most the one call in flight when B was marked down reached it afterwards
		assertThat(b.calls.get()).isLessThanOrEqualTo(bCallsAtDown + 1);

		long unfrozenAt = System.nanoTime();
		b.frozen.set(false);
		Timed up = await().atMost(AWAIT).until(() -> change("b", InstanceStatus.UP, unfrozenAt), (event) -> event != null);
		await().atMost(AWAIT).until(() -> client.answeredBy("b", up.nanos()) >= 10);
		client.close();

		List<Call> window = client.calls.stream()
			.filter((call) -> call.start() >= frozenAt && call.start() < down.nanos())
			.toList();
		long failedBeforeDetection = window.stream().filter((call) -> call.answer().startsWith("ERROR")).count();
		assertThat(failedBeforeDetection).isPositive();
		assertThat(window.stream().filter((call) -> call.answer().startsWith("ERROR")))
			.allMatch((answer) -> answer.answer().equals("ERROR DEADLINE_EXCEEDED"));
		System.out.printf("FIGURE frozen instance b: marked DOWN %d ms after it froze (interval 200 ms, timeout 100 ms, "
				+ "retries 2); %d of %d calls failed before detection (per-call deadline 100 ms, one client thread); "
				+ "%d calls after detection all answered by a; back UP %d ms after it answered again%n",
				TimeUnit.NANOSECONDS.toMillis(down.nanos() - frozenAt), failedBeforeDetection, window.size(),
				afterDown.size(), TimeUnit.NANOSECONDS.toMillis(up.nanos() - unfrozenAt));
	}

	@Test
	void instanceRestartedAfterAnOutageIsBackAtTheNextProbeNotAfterTheReconnectBackoff() throws Exception {
		HealthStatusManager health = new HealthStatusManager();
		Server server = startHealthServer(0, health);
		int port = server.getPort();
		register("a", port);
		HealthCheckingServiceDiscovery discovery = discovery();
		discovery.getInstances("svc");
		await().atMost(AWAIT).until(() -> discovery.snapshot().get(0).lastCheckSucceeded());

		long stoppedAt = System.nanoTime();
		server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		await().atMost(AWAIT).until(() -> change("a", InstanceStatus.DOWN, stoppedAt) != null);
		// ~3 s of refused connections: gRPC's reconnect backoff (1 s, x1.6, +-20 %) has grown past 2 s
		await().atMost(AWAIT).until(() -> discovery.snapshot().get(0).consecutiveFailures() >= 15);
		assertThat(discovery.snapshot().get(0).lastError()).startsWith("UNAVAILABLE");

		int failures = discovery.snapshot().get(0).consecutiveFailures();
		long restartedAt = System.nanoTime();
		startHealthServer(port, health);
		Timed up = await().atMost(AWAIT).until(() -> change("a", InstanceStatus.UP, restartedAt), (event) -> event != null);
		long backMillis = TimeUnit.NANOSECONDS.toMillis(up.nanos() - restartedAt);
		assertThat(backMillis).isLessThan(1000);
		System.out.printf("FIGURE restarted instance: back UP %d ms after its server restarted on the same port, "
				+ "after %d consecutive failed probes (interval 200 ms)%n", backMillis, failures);
	}

	private Server startHealthServer(int port, HealthStatusManager health) throws IOException {
		Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
			.withOption(ChannelOption.SO_REUSEADDR, true)
			.addService(health.getHealthService())
			.build()
			.start();
		this.servers.add(server);
		return server;
	}

	private HealthCheckingServiceDiscovery discovery() {
		HealthCheckingServiceDiscovery discovery = HealthCheckingServiceDiscovery.of(this.registry, FAST);
		this.closeables.add(discovery);
		discovery.addListener(new HealthCheckListener() {
			@Override
			public void onCheck(InstanceHealth health) {
				HealthCheckingOverNettyTests.this.events.add(new Timed(false, health, System.nanoTime()));
			}

			@Override
			public void onStatusChange(InstanceHealth health) {
				HealthCheckingOverNettyTests.this.events.add(new Timed(true, health, System.nanoTime()));
			}
		});
		return discovery;
	}

	/**
	 * The first transition of an instance to a status reported after a time. (In a cold JVM the first
	 * probes of a new Netty channel can exceed a 100 ms deadline while the connection is set up, so an
	 * instance may go DOWN and UP once at start-up.)
	 */
	private Timed change(String id, InstanceStatus status, long after) {
		return this.events.stream()
			.filter((event) -> event.change() && event.health().instanceId().equals(id)
					&& event.health().status() == status && event.nanos() >= after)
			.findFirst()
			.orElse(null);
	}

	private void register(String id, int port) {
		this.registry.register(new ServiceInstance("svc", id, "127.0.0.1", port, Map.of(), InstanceStatus.UP,
				Instant.EPOCH));
	}

	/** A Netty server answering its name and SERVING, or nothing at all while frozen. */
	private TestServer startServer(String name) throws IOException {
		TestServer server = new TestServer();
		this.servers.add(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.addService(new SimpleServiceGrpc.SimpleServiceImplBase() {
				@Override
				public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> observer) {
					server.calls.incrementAndGet();
					if (!server.frozen.get()) {
						observer.onNext(SimpleResponse.newBuilder().setResponseMessage(name).build());
						observer.onCompleted();
					}
				}
			})
			.addService(new HealthGrpc.HealthImplBase() {
				@Override
				public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> observer) {
					if (!server.frozen.get()) {
						observer.onNext(HealthCheckResponse.newBuilder().setStatus(ServingStatus.SERVING).build());
						observer.onCompleted();
					}
				}
			})
			.build()
			.start());
		register(name, this.servers.get(this.servers.size() - 1).getPort());
		return server;
	}

	private static final class TestServer {

		final AtomicBoolean frozen = new AtomicBoolean();

		final AtomicInteger calls = new AtomicInteger();

	}

	private record Timed(boolean change, InstanceHealth health, long nanos) {
	}

	/** One client call: when it started and who answered ({@code ERROR <code>} when it failed). */
	private record Call(long start, String answer) {
	}

	/** One thread calling without pause, each call with a 100 ms deadline. */
	private static final class Client implements AutoCloseable {

		final List<Call> calls = new CopyOnWriteArrayList<>();

		private final SimpleServiceGrpc.SimpleServiceBlockingStub stub;

		private final Thread thread;

		private volatile boolean running = true;

		Client(SimpleServiceGrpc.SimpleServiceBlockingStub stub) {
			this.stub = stub;
			this.thread = new Thread(this::run, "test-client");
		}

		void start() {
			this.thread.start();
		}

		private void run() {
			while (this.running) {
				long start = System.nanoTime();
				String answer;
				try {
					answer = this.stub.withDeadlineAfter(100, TimeUnit.MILLISECONDS)
						.unaryRpc(SimpleRequest.getDefaultInstance())
						.getResponseMessage();
				}
				catch (RuntimeException ex) {
					answer = "ERROR " + Status.fromThrowable(ex).getCode();
				}
				this.calls.add(new Call(start, answer));
			}
		}

		long answeredBy(String name, long after) {
			return this.calls.stream().filter((call) -> call.start() >= after && call.answer().equals(name)).count();
		}

		long startedAfter(long nanos) {
			return this.calls.stream().filter((call) -> call.start() >= nanos).count();
		}

		@Override
		public void close() throws InterruptedException {
			this.running = false;
			this.thread.join(5000);
		}

	}

}
