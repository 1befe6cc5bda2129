package dev.grpcscale.benchmarks;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.micrometer.core.instrument.binder.grpc.ObservationGrpcClientInterceptor;
import io.micrometer.core.instrument.binder.grpc.ObservationGrpcServerInterceptor;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.autoconfigure.GrpcScaleMetricsProperties;
import dev.grpcscale.autoconfigure.health.HealthProbeTimer;
import dev.grpcscale.autoconfigure.metrics.CircuitBreakerMeterBinder;
import dev.grpcscale.autoconfigure.metrics.DiscoveryMeterBinder;
import dev.grpcscale.circuitbreaker.CoarseClock;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.health.HealthCheckListener;
import dev.grpcscale.health.HealthCheckOptions;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;
import dev.grpcscale.health.InstanceHealth;

/**
 * The client stacks the load measurements drive ({@link LoopbackLoadHarness}, {@link ConcurrentLoadComparison}):
 * each starts its own Netty servers on loopback (an echo {@code SimpleService} and {@code grpc.health.v1.Health})
 * and one channel to them, and closes both.
 */
final class LoadStacks {

	static final String SERVICE = "bench-service";

	static final long HEALTH_INTERVAL_MILLIS = 1000;

	private LoadStacks() {
	}

	/**
	 * Runs {@code callers} closed loops ({@link #callFor}) on a stack for {@code duration} on the given pool,
	 * all starting together once every caller has its stub.
	 * @param cost taken just before the callers start and just after the last one ends, or {@code null}
	 * @return what the callers did
	 */
	static Driven drive(Stack stack, SimpleRequest request, int callers, Duration duration, ExecutorService pool,
			@Nullable CostMeter cost) throws Exception {
		return driveTogether(List.of(stack), List.of(pool), request, callers, duration, cost).get(0);
	}

	/**
	 * Runs {@code callers} closed loops on every stack at the same time for {@code duration}, each stack's
	 * callers on its own pool, all starting together once every caller has its stub: the stacks share whatever
	 * the machine gives the process at each moment.
	 * @param pools the callers' pool of each stack, in the order of {@code stacks}
	 * @param cost taken just before the callers start and just after the last one ends, or {@code null}
	 * @return what each stack's callers did, in the order of {@code stacks}, each with the same snapshots
	 */
	static List<Driven> driveTogether(List<? extends Stack> stacks, List<ExecutorService> pools,
			SimpleRequest request, int callers, Duration duration, @Nullable CostMeter cost) throws Exception {
		CountDownLatch ready = new CountDownLatch(callers * stacks.size());
		CountDownLatch start = new CountDownLatch(1);
		long durationNanos = duration.toNanos();
		List<List<Future<long[]>>> futures = new ArrayList<>();
		List<List<Histogram>> histograms = new ArrayList<>();
		for (int s = 0; s < stacks.size(); s++) {
			Stack stack = stacks.get(s);
			List<Future<long[]>> stackFutures = new ArrayList<>();
			List<Histogram> stackHistograms = new ArrayList<>();
			for (int i = 0; i < callers; i++) {
				Histogram histogram = new Histogram(3);
				stackHistograms.add(histogram);
				stackFutures.add(pools.get(s).submit(() -> {
					SimpleServiceGrpc.SimpleServiceBlockingStub stub = stack.stub();
					ready.countDown();
					start.await();
					return callFor(stub, request, durationNanos, histogram);
				}));
			}
			futures.add(stackFutures);
			histograms.add(stackHistograms);
		}
		ready.await();
		CostMeter.Snapshot before = (cost != null) ? cost.snapshot() : null;
		long begin = System.nanoTime();
		start.countDown();
		long[] calls = new long[stacks.size()];
		long[] errors = new long[stacks.size()];
		long[] nanos = new long[stacks.size()];
		for (int s = 0; s < stacks.size(); s++) {
			for (Future<long[]> future : futures.get(s)) {
				long[] counts = future.get();
				calls[s] += counts[0];
				errors[s] += counts[1];
				nanos[s] = Math.max(nanos[s], counts[2] - begin);
			}
		}
		CostMeter.Snapshot after = (cost != null) ? cost.snapshot() : null;
		List<Driven> driven = new ArrayList<>();
		for (int s = 0; s < stacks.size(); s++) {
			Histogram merged = new Histogram(3);
			histograms.get(s).forEach(merged::add);
			driven.add(new Driven(calls[s], errors[s], nanos[s], merged, before, after));
		}
		return driven;
	}

	/**
	 * What {@link #drive} measured.
	 * @param calls calls that succeeded
	 * @param errors calls that failed
	 * @param nanos wall time from the start to the last caller's end
	 * @param histogram every call's latency in nanoseconds
	 * @param before the cost counters at the start, if asked for
	 * @param after the cost counters at the end, if asked for
	 */
	record Driven(long calls, long errors, long nanos, Histogram histogram, CostMeter.@Nullable Snapshot before,
			CostMeter.@Nullable Snapshot after) {
	}

	/**
	 * One caller's closed loop: a blocking unary call after another for {@code durationNanos}, each call's
	 * latency recorded in {@code histogram}.
	 * @return {@code {calls that succeeded, calls that failed, System.nanoTime() at the end}}
	 */
	static long[] callFor(SimpleServiceGrpc.SimpleServiceBlockingStub stub, SimpleRequest request, long durationNanos,
			Histogram histogram) {
		long end = System.nanoTime() + durationNanos;
		long calls = 0;
		long errors = 0;
		long now = System.nanoTime();
		while (now < end) {
			long begin = now;
			try {
				stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryRpc(request);
				calls++;
			}
			catch (StatusRuntimeException ex) {
				errors++;
			}
			now = System.nanoTime();
			histogram.recordValue(now - begin);
		}
		return new long[] { calls, errors, now };
	}

	static List<Server> startServers(int count, SimpleServiceGrpc.SimpleServiceImplBase service,
			@Nullable ObservationGrpcServerInterceptor interceptor, @Nullable StackThreads threads) throws Exception {
		List<Server> servers = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			NettyServerBuilder builder = NettyServerBuilder
				.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), InsecureServerCredentials.create());
			if (threads != null) {
				threads.onServer(builder);
			}
			if (interceptor != null) {
				builder.addService(ServerInterceptors.intercept(service, interceptor));
			}
			else {
				builder.addService(service);
			}
			builder.addService(new HealthStatusManager().getHealthService());
			servers.add(builder.build().start());
		}
		return servers;
	}

	static void shutdown(ManagedChannel channel, List<Server> servers) throws InterruptedException {
		channel.shutdown();
		if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
			channel.shutdownNow();
		}
		for (Server server : servers) {
			server.shutdown();
		}
		for (Server server : servers) {
			server.awaitTermination(5, TimeUnit.SECONDS);
		}
	}

	/** Answers every request with a payload of the request's size. */
	static final class EchoService extends SimpleServiceGrpc.SimpleServiceImplBase {

		@Override
		public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responseObserver) {
			responseObserver.onNext(SimpleResponse.newBuilder().setResponseMessage(request.getRequestMessage()).build());
			responseObserver.onCompleted();
		}

	}

	/** A client stack under load. */
	interface Stack extends AutoCloseable {

		String name();

		SimpleServiceGrpc.SimpleServiceBlockingStub stub();

	}

	/** Plain grpc-java: round_robin over the servers, nothing else. */
	static final class BareStack implements Stack {

		private final List<Server> servers;

		private final ManagedChannel channel;

		BareStack(LoopbackLoadHarness.Options options) throws Exception {
			this(options, null);
		}

		/** The stack on {@code threads}, or on grpc-java's shared default threads when {@code null}. */
		BareStack(LoopbackLoadHarness.Options options, @Nullable StackThreads threads) throws Exception {
			this.servers = startServers(options.servers(), new EchoService(), null, threads);
			List<InetSocketAddress> addresses = this.servers.stream()
				.map((server) -> (InetSocketAddress) server.getListenSockets().get(0))
				.toList();
			NettyChannelBuilder builder = NettyChannelBuilder
				.forTarget(StaticAddressNameResolverProvider.SCHEME + ":///" + SERVICE)
				.usePlaintext()
				.defaultLoadBalancingPolicy("round_robin");
			if (threads != null) {
				threads.onClient(builder);
			}
			this.channel = StaticAddressNameResolverProvider.configure(builder, addresses).build();
		}

		@Override
		public String name() {
			return "bare";
		}

		@Override
		public SimpleServiceGrpc.SimpleServiceBlockingStub stub() {
			return SimpleServiceGrpc.newBlockingStub(this.channel);
		}

		@Override
		public void close() throws InterruptedException {
			shutdown(this.channel, this.servers);
		}

	}

	/**
	 * What a grpc-scale stack includes: the whole client stack, or one part of it over the bare stack's
	 * channel, to split the cost of the parts in the same run.
	 */
	public enum Variant {

		/** {@code discovery:///} with health checks, the breakers and tracing: the stack case a measures. */
		SCALE("scale", true, true, true, true, false),

		/** {@code discovery:///} and the breakers, no tracing, no health checks. */
		BREAKERS("breakers", true, true, false, false, false),

		/** The bare stack's {@code static:///} target and {@code round_robin} with the tracing interceptors. */
		TRACING("tracing", false, false, true, false, false),

		/** {@code discovery:///} alone (its {@code grpc_scale_round_robin} without breakers is {@code round_robin}). */
		DISCOVERY("discovery", true, false, false, false, false),

		/** The scale stack without the health checker: {@code discovery:///}, the breakers and tracing. */
		TRACED_BREAKERS("traced-breakers", true, true, true, false, false),

		/**
		 * The scale stack with what an application with Actuator and Prometheus binds: a Prometheus meter
		 * registry, the observations' meter handler, and grpc-scale's own meters as its auto-configuration
		 * binds them (breakers, discovery and health, the health probe timer).
		 */
		METERS("meters", true, true, true, true, true);

		private final String label;

		private final boolean discovery;

		private final boolean breakers;

		private final boolean tracing;

		private final boolean health;

		private final boolean meters;

		Variant(String label, boolean discovery, boolean breakers, boolean tracing, boolean health, boolean meters) {
			this.label = label;
			this.discovery = discovery;
			this.breakers = breakers;
			this.tracing = tracing;
			this.health = health;
			this.meters = meters;
		}

		/** The name on the command line and in the figures. */
		public String label() {
			return this.label;
		}

		static Variant of(String label) {
			for (Variant variant : values()) {
				if (variant != SCALE && variant.label.equals(label)) {
					return variant;
				}
			}
			throw new IllegalArgumentException(
					"--variants: '" + label + "' (expected: breakers, tracing, discovery, traced-breakers or meters)");
		}

	}

	/**
	 * The grpc-scale client stack, or a part of it (see {@link Variant}), with Boot's tracing interceptors on both
	 * sides. Its breakers are built as the starter builds them (defaults, on a {@link CoarseClock}); with
	 * {@link Variant#METERS} grpc-scale's meters are bound as {@code GrpcScaleMetricsAutoConfiguration} and the
	 * health auto-configuration bind them, with the same binder classes and the default refresh interval.
	 */
	static final class ScaleStack implements Stack {

		private final Variant variant;

		private final @Nullable TracingStack tracing;

		private final @Nullable PrometheusMeterRegistry meters;

		private final CoarseClock clock = CoarseClock.start(Clock.systemUTC(), CoarseClock.DEFAULT_RESOLUTION);

		final GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder().clock(this.clock).build();

		private @Nullable DiscoveryMeterBinder discoveryMeters;

		private final InMemoryServiceRegistry registry = InMemoryServiceRegistry.create();

		private final @Nullable HealthCheckingServiceDiscovery health;

		final AtomicLong healthProbes = new AtomicLong();

		private final List<Server> servers;

		private final ManagedChannel channel;

		ScaleStack(LoopbackLoadHarness.Options options, Variant variant) throws Exception {
			this(options, variant, null);
		}

		/** The stack on {@code threads}, or on grpc-java's shared default threads when {@code null}. */
		ScaleStack(LoopbackLoadHarness.Options options, Variant variant, @Nullable StackThreads threads)
				throws Exception {
			this.variant = variant;
			this.meters = variant.meters ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : null;
			this.tracing = variant.tracing ? new TracingStack(options.sampling(), this.meters) : null;
			if (this.meters != null) {
				new CircuitBreakerMeterBinder(this.breakers).bindTo(this.meters);
			}
			this.servers = startServers(options.servers(), new EchoService(), (this.tracing != null)
					? new ObservationGrpcServerInterceptor(this.tracing.observationRegistry()) : null, threads);
			List<InetSocketAddress> addresses = this.servers.stream()
				.map((server) -> (InetSocketAddress) server.getListenSockets().get(0))
				.toList();
			NettyChannelBuilder builder;
			if (variant.discovery) {
				for (int i = 0; i < addresses.size(); i++) {
					InetSocketAddress address = addresses.get(i);
					this.registry.register(new ServiceInstance(SERVICE, "i" + i, address.getHostString(),
							address.getPort(), Map.of(), InstanceStatus.UP, Instant.now()));
				}
				builder = NettyChannelBuilder.forTarget("discovery:///" + SERVICE).usePlaintext();
				this.health = variant.health ? HealthCheckingServiceDiscovery.of(this.registry, HealthCheckOptions
					.of(Duration.ofMillis(HEALTH_INTERVAL_MILLIS), Duration.ofSeconds(1), HealthCheckOptions.DEFAULT_RETRIES))
						: null;
				if (this.health != null) {
					this.health.addListener(new HealthCheckListener() {
						@Override
						public void onCheck(InstanceHealth health) {
							ScaleStack.this.healthProbes.incrementAndGet();
						}
					});
				}
				if (this.meters != null) {
					if (this.health != null) {
						this.health.addListener(new HealthProbeTimer(this.meters));
					}
					this.discoveryMeters = new DiscoveryMeterBinder(this.registry, this.health,
							new GrpcScaleMetricsProperties().getRefreshInterval());
					this.discoveryMeters.bindTo(this.meters);
				}
				DiscoveryNameResolverProvider.configure(builder, (this.health != null) ? this.health : this.registry);
			}
			else {
				this.health = null;
				builder = NettyChannelBuilder.forTarget(StaticAddressNameResolverProvider.SCHEME + ":///" + SERVICE)
					.usePlaintext()
					.defaultLoadBalancingPolicy("round_robin");
				StaticAddressNameResolverProvider.configure(builder, addresses);
			}
			if (variant.breakers) {
				this.breakers.configure(builder);
			}
			if (this.tracing != null) {
				builder.intercept(new ObservationGrpcClientInterceptor(this.tracing.observationRegistry()));
			}
			if (threads != null) {
				threads.onClient(builder);
			}
			this.channel = builder.build();
		}

		@Override
		public String name() {
			return this.variant.label;
		}

		@Override
		public SimpleServiceGrpc.SimpleServiceBlockingStub stub() {
			return SimpleServiceGrpc.newBlockingStub(this.channel);
		}

		/** Whether every probed server was {@code UP} at the last probe (true without health checks). */
		boolean allServing() {
			return (this.health == null) || this.health.snapshot().stream().allMatch(InstanceHealth::isUp);
		}

		/** What Prometheus would read from {@code /actuator/prometheus}; empty without meters. */
		String scrape() {
			return (this.meters != null) ? this.meters.scrape() : "";
		}

		/** The grpc-scale meter families this stack's scrape lacks (breakers, discovery, health); empty when all are there. */
		List<String> missingScaleMeters() {
			String scrape = scrape();
			return List
				.of("grpc_scale_circuitbreaker_calls_total{", "grpc_scale_circuitbreaker_state{",
						"grpc_scale_discovery_instances{", "grpc_scale_health_instances{",
						"grpc_scale_health_probe_seconds_count{")
				.stream()
				.filter((family) -> !scrape.contains(family))
				.toList();
		}

		long exportedSpans() {
			return (this.tracing != null) ? this.tracing.exportedSpans() : 0;
		}

		@Override
		public void close() throws InterruptedException {
			shutdown(this.channel, this.servers);
			if (this.discoveryMeters != null) {
				this.discoveryMeters.close();
			}
			if (this.health != null) {
				this.health.close();
			}
			this.registry.close();
			this.clock.close();
			if (this.tracing != null) {
				this.tracing.close();
			}
			if (this.meters != null) {
				this.meters.close();
			}
		}

	}

}
