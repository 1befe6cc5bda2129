package dev.grpcscale.benchmarks;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.circuitbreaker.CircuitBreakerLoadBalancerProvider;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.health.HealthCheckOptions;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;

/**
 * Issue 16 item 8: what 10,000 instances of one service cost against 10, with 1 % of them down (at least
 * one, so the 10-instance case filters too):
 * <ol>
 * <li>{@code getInstances} of a {@link HealthCheckingServiceDiscovery} (its probes marked 1 % down) and
 * {@link EnhancedServiceManager#discoverServices} over it;</li>
 * <li>one watch event end to end to the balancer: register (then deregister) one instance in an
 * {@link InMemoryServiceRegistry}, until the channel's {@code grpc_scale_round_robin} balancer has taken
 * the new address list (a forwarding policy around it reports when its {@code acceptResolvedAddresses}
 * returned);</li>
 * <li>a unary call on a channel balancing ({@code grpc_scale_round_robin} with instance breakers, and the
 * service breaker interceptor) over 10,000 subchannels, 1 % of them in {@code TRANSIENT_FAILURE}.</li>
 * </ol>
 * Cases b and c also run on a bare channel beside it (grpc's {@code round_robin}, no breakers, its own
 * copy of the registry so that its events reach it alone): what grpc-java costs at the same size.
 *
 * <p>Every instance is its own in-process server, all serving the same echo service, so the balancer
 * holds one real, {@code READY} subchannel per instance without 10,000 sockets (a loopback variant would
 * need 20,000 file descriptors and Netty's per-connection buffers, and would measure them). The
 * {@code discovery:///} resolver only makes {@code InetSocketAddress}es, which the in-process transport
 * cannot dial, so the channel's resolver here is a copy of {@code DiscoveryNameResolver}'s update (the
 * same watch, one address group per instance carrying the instance, the same service config) producing
 * in-process addresses. Channel and servers run on the calling thread ({@code directExecutor}), and the
 * memory registry calls its watchers on the thread that made the change, so the calling thread's CPU time
 * and allocation cover the whole path; the process CPU time is shown too.
 *
 * <p>Rounds interleave the two sizes (alternating which goes first); each figure is the median over
 * rounds, with the spread (min..max). Usage: {@code ScaleMeasurement [rounds]} (default 5).
 */
public final class ScaleMeasurement {

	static final String SERVICE = "scale";

	static final String SCHEME = "scale-bench";

	private static final String OBSERVED_POLICY = "grpc_scale_bench_observed";

	private static final String OBSERVED_BARE_POLICY = "grpc_scale_bench_observed_bare";

	/** Prefix of the in-process server names the resolver maps instances to. */
	static final NameResolver.Args.Key<String> ADDRESS_PREFIX = NameResolver.Args.Key
		.create("dev.grpcscale.benchmarks.scale.prefix");

	/** The observed policy the resolver chooses. */
	static final NameResolver.Args.Key<String> POLICY = NameResolver.Args.Key
		.create("dev.grpcscale.benchmarks.scale.policy");

	/** Address-list sizes the observed balancer last accepted, per channel authority. */
	static final Map<String, AtomicInteger> ACCEPTED = new ConcurrentHashMap<>();

	private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory
		.getThreadMXBean();

	private static final com.sun.management.OperatingSystemMXBean OS = (com.sun.management.OperatingSystemMXBean) ManagementFactory
		.getOperatingSystemMXBean();

	private static final Duration WARMUP = Duration.ofMillis(1500);

	/** Time each case runs per size and round. */
	private static final Duration MEASURE = Duration.ofSeconds(1);

	private static long sink;

	private ScaleMeasurement() {
	}

	/**
	 * Runs the measurement and prints one block per case.
	 * @param args optional number of rounds
	 * @throws Exception if a fixture cannot start
	 */
	public static void main(String[] args) throws Exception {
		int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : 5;
		CircuitBreakerLoadBalancerProvider.registerDefault();
		register();
		List<Case> cases = List.of(new Case("a. getInstances, health filtering", "ns/op"),
				new Case("a. discoverServices, health filtering", "ns/op"), new Case("b. watch event to balancer", "us/event"),
				new Case("b. same, bare grpc round_robin", "us/event"), new Case("c. unary call over the channel", "ns/op"),
				new Case("c. same, bare grpc round_robin", "ns/op"));
		long started = System.nanoTime();
		try (Fixture small = new Fixture(10); Fixture large = new Fixture(10_000)) {
			List<Fixture> fixtures = List.of(small, large);
			for (Fixture fixture : fixtures) {
				// warm-up: JIT of every path at both sizes
				fixture.measureReads(fixture.health::getInstances, WARMUP);
				fixture.measureReads(fixture.manager::discoverServices, WARMUP);
				fixture.measureEvents(fixture.registry, fixture.authority, WARMUP);
				fixture.measureEvents(fixture.bareRegistry, fixture.bareAuthority, WARMUP);
				fixture.measureCalls(fixture.stub, WARMUP);
				fixture.measureCalls(fixture.bareStub, WARMUP);
			}
			for (int round = 0; round < rounds; round++) {
				List<Fixture> order = (round % 2 == 0) ? fixtures : List.of(large, small);
				for (Fixture fixture : order) {
					int index = (fixture == small) ? 0 : 1;
					cases.get(0).add(index, fixture.measureReads(fixture.health::getInstances, MEASURE));
					cases.get(1).add(index, fixture.measureReads(fixture.manager::discoverServices, MEASURE));
					cases.get(2).add(index, fixture.measureEvents(fixture.registry, fixture.authority, MEASURE));
					cases.get(3).add(index, fixture.measureEvents(fixture.bareRegistry, fixture.bareAuthority, MEASURE));
					cases.get(4).add(index, fixture.measureCalls(fixture.stub, MEASURE));
					cases.get(5).add(index, fixture.measureCalls(fixture.bareStub, MEASURE));
				}
			}
			System.out.printf(Locale.ROOT, "%d rounds, %d s, %d cores, load average %.1f at the end%n", rounds,
					(System.nanoTime() - started) / 1_000_000_000L, Runtime.getRuntime().availableProcessors(),
					OS.getSystemLoadAverage());
			System.out.printf(Locale.ROOT, "down: %d of %d and %d of %d; subchannels READY: %d and %d (bare: %d and %d)%n",
					small.down, small.size, large.down, large.size, small.readyCalls(small.stub),
					large.readyCalls(large.stub), small.readyCalls(small.bareStub), large.readyCalls(large.bareStub));
		}
		for (Case measured : cases) {
			measured.print();
		}
		if (sink == 42) {
			System.out.println();
		}
	}

	/** One sample: per operation, wall time, CPU time of the calling thread and of the process, bytes allocated. */
	record Sample(double wallNanos, double threadCpuNanos, double processCpuNanos, double bytes) {
	}

	/** The samples of one case at both sizes. */
	static final class Case {

		private final String name;

		private final String unit;

		private final List<List<Sample>> samples = List.of(new ArrayList<>(), new ArrayList<>());

		Case(String name, String unit) {
			this.name = name;
			this.unit = unit;
		}

		void add(int size, Sample sample) {
			this.samples.get(size).add(sample);
		}

		void print() {
			double divisor = this.unit.startsWith("us") ? 1_000.0 : 1.0;
			String[] labels = { "10", "10,000" };
			double[] medians = new double[2];
			for (int i = 0; i < 2; i++) {
				List<Sample> list = this.samples.get(i);
				medians[i] = median(list, Sample::wallNanos);
				System.out.printf(Locale.ROOT,
						"%s @%s: wall %.2f %s (%.2f..%.2f), thread CPU %.2f, process CPU %.2f, %.0f B/op%n", this.name,
						labels[i], medians[i] / divisor, this.unit, min(list, Sample::wallNanos) / divisor,
						max(list, Sample::wallNanos) / divisor, median(list, Sample::threadCpuNanos) / divisor,
						median(list, Sample::processCpuNanos) / divisor, median(list, Sample::bytes));
			}
			System.out.printf(Locale.ROOT, "%s: ratio 10,000 / 10 = %.2f (wall), %.2f (thread CPU), %.2f (bytes)%n",
					this.name, medians[1] / medians[0],
					median(this.samples.get(1), Sample::threadCpuNanos) / median(this.samples.get(0), Sample::threadCpuNanos),
					median(this.samples.get(1), Sample::bytes) / Math.max(1, median(this.samples.get(0), Sample::bytes)));
		}

		private static double median(List<Sample> list, java.util.function.ToDoubleFunction<Sample> value) {
			double[] sorted = list.stream().mapToDouble(value).sorted().toArray();
			int middle = sorted.length / 2;
			return (sorted.length % 2 == 1) ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
		}

		private static double min(List<Sample> list, java.util.function.ToDoubleFunction<Sample> value) {
			return list.stream().mapToDouble(value).min().orElse(0);
		}

		private static double max(List<Sample> list, java.util.function.ToDoubleFunction<Sample> value) {
			return list.stream().mapToDouble(value).max().orElse(0);
		}

	}

	/** Counters around a measured stretch. */
	private record Meter(long wall, long threadCpu, long processCpu, long bytes) {

		static Meter now() {
			return new Meter(System.nanoTime(), THREADS.getCurrentThreadCpuTime(), OS.getProcessCpuTime(),
					THREADS.getCurrentThreadAllocatedBytes());
		}

		Sample per(long operations) {
			Meter end = now();
			return new Sample((end.wall - this.wall) / (double) operations,
					(end.threadCpu - this.threadCpu) / (double) operations,
					(end.processCpu - this.processCpu) / (double) operations, (end.bytes - this.bytes) / (double) operations);
		}

	}

	/** n instances, each an in-process server, with their registry, health checking, manager and channel. */
	static final class Fixture implements AutoCloseable {

		final int size;

		final int down;

		final InMemoryServiceRegistry registry = InMemoryServiceRegistry.create();

		/** The same instances for the bare channel, so that its events reach it alone. */
		final InMemoryServiceRegistry bareRegistry = InMemoryServiceRegistry.create();

		final HealthCheckingServiceDiscovery health;

		final EnhancedServiceManager manager;

		private final String prefix;

		final String authority;

		final String bareAuthority;

		private final List<Server> servers = new ArrayList<>();

		private final Server healthy;

		private final Server sick;

		private final GrpcCircuitBreakers breakers = GrpcCircuitBreakers.ofDefaults();

		private final ManagedChannel channel;

		final SimpleServiceGrpc.SimpleServiceBlockingStub stub;

		private final ManagedChannel bareChannel;

		final SimpleServiceGrpc.SimpleServiceBlockingStub bareStub;

		private final ServiceInstance extra;

		Fixture(int size) throws Exception {
			this.size = size;
			this.down = Math.max(1, size / 100);
			this.prefix = "scale-" + size + "-";
			this.authority = SERVICE + "-" + size;
			this.bareAuthority = this.authority + "-bare";
			List<ServiceInstance> instances = DiscoveryCacheBenchmark.instances(SERVICE, size + 1);
			this.extra = instances.remove(size);
			for (int i = 0; i < size; i++) {
				ServiceInstance instance = instances.get(i);
				this.registry.register(instance);
				this.bareRegistry.register(instance);
				if (!isDown(instance)) {
					this.servers.add(echoServer(address(instance)));
				}
			}
			this.servers.add(echoServer(address(this.extra)));
			this.healthy = healthServer(this.prefix + "healthy", ServingStatus.SERVING);
			this.sick = healthServer(this.prefix + "sick", ServingStatus.NOT_SERVING);
			this.health = HealthCheckingServiceDiscovery.builder(this.registry)
				.options(HealthCheckOptions.builder()
					.interval(Duration.ofHours(1))
					.timeout(Duration.ofSeconds(30))
					.retries(1)
					.build())
				.channelFactory((instance) -> InProcessChannelBuilder
					.forName(this.prefix + (isDown(instance) ? "sick" : "healthy"))
					.directExecutor()
					.build())
				.build();
			this.manager = EnhancedServiceManager.builder()
				.serviceRegistry(this.registry)
				.serviceDiscovery(this.health)
				.build();
			awaitTrue(() -> this.health.getInstances(SERVICE).size() == size - this.down, "health checks of " + size);
			this.channel = this.breakers.configure(channelBuilder(this.authority, this.registry, OBSERVED_POLICY)).build();
			this.stub = SimpleServiceGrpc.newBlockingStub(this.channel);
			this.bareChannel = channelBuilder(this.bareAuthority, this.bareRegistry, OBSERVED_BARE_POLICY).build();
			this.bareStub = SimpleServiceGrpc.newBlockingStub(this.bareChannel);
			for (ManagedChannel started : List.of(this.channel, this.bareChannel)) {
				started.getState(true); // leave idle: start the resolver and the balancer
			}
			awaitTrue(() -> accepted(this.authority) == size && accepted(this.bareAuthority) == size,
					"balancers of " + size);
			// every reachable subchannel connects: round robin then spreads calls over all of them
			awaitTrue(() -> readyCalls(this.stub) == size - this.down && readyCalls(this.bareStub) == size - this.down,
					"subchannels of " + size);
		}

		private InProcessChannelBuilder channelBuilder(String target, ServiceDiscovery discovery, String policy) {
			ACCEPTED.put(target, new AtomicInteger(-1));
			return InProcessChannelBuilder.forTarget(SCHEME + ":///" + target)
				.directExecutor()
				.setNameResolverArg(DiscoveryNameResolverProvider.SERVICE_DISCOVERY, discovery)
				.setNameResolverArg(ADDRESS_PREFIX, this.prefix)
				.setNameResolverArg(POLICY, policy);
		}

		private boolean isDown(ServiceInstance instance) {
			int index = Integer.parseInt(instance.instanceId().substring(1));
			return (this.size >= 100) ? index % 100 == 99 : index == this.size - 1;
		}

		private String address(ServiceInstance instance) {
			return this.prefix + instance.instanceId();
		}

		private static int accepted(String authority) {
			return ACCEPTED.get(authority).get();
		}

		/** Distinct servers answering size calls: the READY subchannels round robin cycles through. */
		int readyCalls(SimpleServiceGrpc.SimpleServiceBlockingStub stub) {
			java.util.Set<String> seen = new java.util.HashSet<>();
			for (int i = 0; i < this.size; i++) {
				try {
					seen.add(stub.withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS)
						.unaryRpc(SimpleRequest.newBuilder().setRequestMessage("who").build())
						.getResponseMessage());
				}
				catch (io.grpc.StatusRuntimeException ex) {
					// a subchannel not ready yet
				}
			}
			return seen.size();
		}

		Sample measureReads(java.util.function.Function<String, List<ServiceInstance>> read, Duration budget) {
			return measureBatches(() -> read.apply(SERVICE).size(), budget);
		}

		/**
		 * Runs {@code operation} in batches of 64 between clock reads (an operation costs from nanoseconds to
		 * milliseconds) until {@code budget} has passed; what it returns is summed into {@code sink}.
		 */
		private Sample measureBatches(java.util.function.LongSupplier operation, Duration budget) {
			long deadline = System.nanoTime() + budget.toNanos();
			long total = 0;
			long operations = 0;
			Meter meter = Meter.now();
			while (System.nanoTime() < deadline) {
				for (int i = 0; i < 64; i++) {
					total += operation.getAsLong();
				}
				operations += 64;
			}
			Sample sample = meter.per(operations);
			sink += total;
			return sample;
		}

		Sample measureEvents(InMemoryServiceRegistry events, String authority, Duration budget) {
			long deadline = System.nanoTime() + budget.toNanos();
			int count = 0;
			Meter meter = Meter.now();
			while (System.nanoTime() < deadline || count == 0) {
				events.register(this.extra);
				awaitAccepted(authority, this.size + 1);
				events.deregister(SERVICE, this.extra.instanceId());
				awaitAccepted(authority, this.size);
				count += 2;
			}
			return meter.per(count);
		}

		private void awaitAccepted(String authority, int count) {
			long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
			while (accepted(authority) != count) {
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException("balancer of " + this.size + " did not get " + count + " addresses");
				}
				Thread.onSpinWait();
			}
		}

		Sample measureCalls(SimpleServiceGrpc.SimpleServiceBlockingStub stub, Duration budget) {
			SimpleRequest request = SimpleRequest.newBuilder().setRequestMessage("x").build();
			return measureBatches(() -> stub.unaryRpc(request).getSerializedSize(), budget);
		}

		@Override
		public void close() {
			this.channel.shutdownNow();
			this.bareChannel.shutdownNow();
			this.bareRegistry.close();
			this.health.close();
			this.registry.close();
			this.servers.forEach(Server::shutdownNow);
			this.healthy.shutdownNow();
			this.sick.shutdownNow();
			ACCEPTED.remove(this.authority);
			ACCEPTED.remove(this.bareAuthority);
		}

		private static Server echoServer(String name) throws Exception {
			String label = name;
			return InProcessServerBuilder.forName(name)
				.directExecutor()
				.addService(new SimpleServiceGrpc.SimpleServiceImplBase() {
					@Override
					public void unaryRpc(SimpleRequest request,
							io.grpc.stub.StreamObserver<io.grpc.testing.protobuf.SimpleResponse> observer) {
						observer.onNext(io.grpc.testing.protobuf.SimpleResponse.newBuilder()
							.setResponseMessage(request.getRequestMessage().equals("who") ? label : "x")
							.build());
						observer.onCompleted();
					}
				})
				.build()
				.start();
		}

		private static Server healthServer(String name, ServingStatus status) throws Exception {
			HealthStatusManager manager = new HealthStatusManager();
			manager.setStatus("", status);
			return InProcessServerBuilder.forName(name).directExecutor().addService(manager.getHealthService()).build().start();
		}

	}

	private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) {
		long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
		while (!condition.getAsBoolean()) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException(what + " not ready within 120 s");
			}
			LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
		}
	}

	private static synchronized void register() {
		if (NameResolverRegistry.getDefaultRegistry().getProviderForScheme(SCHEME) == null) {
			NameResolverRegistry.getDefaultRegistry().register(new InProcessDiscoveryResolverProvider());
		}
		if (LoadBalancerRegistry.getDefaultRegistry().getProvider(OBSERVED_POLICY) == null) {
			LoadBalancerRegistry.getDefaultRegistry()
				.register(new ObservedPolicyProvider(OBSERVED_POLICY, CircuitBreakerLoadBalancerProvider.POLICY_NAME));
			LoadBalancerRegistry.getDefaultRegistry().register(new ObservedPolicyProvider(OBSERVED_BARE_POLICY, "round_robin"));
		}
	}

}
