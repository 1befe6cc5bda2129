package dev.grpcscale.benchmarks;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.inprocess.InProcessSocketAddress;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.circuitbreaker.CircuitBreakerLoadBalancerProvider;
import dev.grpcscale.circuitbreaker.CoarseClock;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * Bytes allocated and CPU time per unary call on grpc-scale's call path (the service breaker's interceptor,
 * the {@code grpc_scale_round_robin} picker and the instance breaker), against the same calls without it, on
 * an in-process channel and server that both run on the calling thread ({@code directExecutor}), so the
 * calling thread's allocation counter ({@code ThreadMXBean.getThreadAllocatedBytes}) and CPU time see the
 * whole call. Four channels to one echo server, measured in interleaved rounds (the order rotating each
 * round), medians printed:
 * <ul>
 * <li>{@code bare}: {@code pick_first}, no interceptor;</li>
 * <li>{@code interceptor}: the same with grpc-scale's service-breaker interceptor;</li>
 * <li>{@code round_robin}: one address group, as the {@code discovery:///} resolver gives it, balanced by
 * grpc-java's {@code round_robin};</li>
 * <li>{@code scale}: the same group balanced by {@code grpc_scale_round_robin} with instance breakers, and the
 * interceptor: {@code GrpcCircuitBreakers.configure}, as the starter guards {@code discovery:///} channels.</li>
 * </ul>
 * The breakers run on the starter's {@link CoarseClock}. Usage: {@code CallPathAllocation [rounds] [calls]}
 * (default 9 rounds of 20,000 calls per channel).
 */
public final class CallPathAllocation {

	private static final String SCHEME = "alloc-bench";

	private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory
		.getThreadMXBean();

	private static final NameResolver.Args.Key<String> SERVER = NameResolver.Args.Key.create("alloc-bench.server");

	private static final NameResolver.Args.Key<String> POLICY = NameResolver.Args.Key.create("alloc-bench.policy");

	private CallPathAllocation() {
	}

	/**
	 * Runs the measurement.
	 * @param args rounds and calls per round, optional
	 * @throws Exception if the server does not start
	 */
	public static void main(String[] args) throws Exception {
		int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : 9;
		int calls = (args.length > 1) ? Integer.parseInt(args[1]) : 20_000;
		NameResolverRegistry.getDefaultRegistry().register(new SingleInstanceResolverProvider());
		CircuitBreakerLoadBalancerProvider.registerDefault();
		String name = InProcessServerBuilder.generateName();
		Server server = InProcessServerBuilder.forName(name).directExecutor().addService(new Echo()).build().start();
		CoarseClock clock = CoarseClock.start(java.time.Clock.systemUTC(), CoarseClock.DEFAULT_RESOLUTION);
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder().clock(clock).build();
		Map<String, ManagedChannel> channels = new LinkedHashMap<>();
		channels.put("bare", InProcessChannelBuilder.forName(name).directExecutor().build());
		channels.put("interceptor", InProcessChannelBuilder.forName(name)
			.directExecutor()
			.intercept(breakers.clientInterceptor("echo"))
			.build());
		channels.put("round_robin", resolved(name, "round_robin").build());
		channels.put("scale", breakers.configure(resolved(name, CircuitBreakerLoadBalancerProvider.POLICY_NAME)).build());
		try {
			Map<String, List<double[]>> samples = new LinkedHashMap<>();
			List<String> names = new ArrayList<>(channels.keySet());
			for (String variant : names) {
				samples.put(variant, new ArrayList<>());
				measure(channels.get(variant), calls); // warm-up, not recorded
			}
			for (int round = 0; round < rounds; round++) {
				for (int i = 0; i < names.size(); i++) {
					String variant = names.get((round + i) % names.size());
					samples.get(variant).add(measure(channels.get(variant), calls));
				}
			}
			System.out.printf("call path allocation, %s, %d rounds x %d calls per channel, in-process, direct executor%n",
					Instant.now(), rounds, calls);
			Map<String, double[]> medians = new LinkedHashMap<>();
			for (String variant : names) {
				double bytes = median(samples.get(variant), 0);
				double cpu = median(samples.get(variant), 1);
				medians.put(variant, new double[] { bytes, cpu });
				System.out.printf("%-12s %8.1f B/call (%s)  %8.0f ns CPU/call (%s)%n", variant, bytes,
						range(samples.get(variant), 0), cpu, range(samples.get(variant), 1));
			}
			System.out.printf("interceptor - bare:        %+.1f B/call %+.0f ns CPU/call%n",
					medians.get("interceptor")[0] - medians.get("bare")[0],
					medians.get("interceptor")[1] - medians.get("bare")[1]);
			System.out.printf("scale - round_robin:       %+.1f B/call %+.0f ns CPU/call%n",
					medians.get("scale")[0] - medians.get("round_robin")[0],
					medians.get("scale")[1] - medians.get("round_robin")[1]);
			System.out.printf("breakers: %s%n", breakers.metrics().breakers());
		}
		finally {
			channels.values().forEach(ManagedChannel::shutdownNow);
			server.shutdownNow();
			clock.close();
		}
	}

	private static InProcessChannelBuilder resolved(String server, String policy) {
		return InProcessChannelBuilder.forTarget(SCHEME + ":///echo")
			.directExecutor()
			.setNameResolverArg(SERVER, server)
			.setNameResolverArg(POLICY, policy);
	}

	/** Bytes and CPU nanoseconds per call over {@code calls} calls on this thread. */
	private static double[] measure(ManagedChannel channel, int calls) {
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel);
		SimpleRequest request = SimpleRequest.getDefaultInstance();
		long thread = Thread.currentThread().getId();
		long bytes = THREADS.getThreadAllocatedBytes(thread);
		long cpu = THREADS.getCurrentThreadCpuTime();
		for (int i = 0; i < calls; i++) {
			stub.unaryRpc(request);
		}
		long allocated = THREADS.getThreadAllocatedBytes(thread) - bytes;
		long spent = THREADS.getCurrentThreadCpuTime() - cpu;
		return new double[] { (double) allocated / calls, (double) spent / calls };
	}

	private static double median(List<double[]> samples, int index) {
		double[] values = samples.stream().mapToDouble((sample) -> sample[index]).sorted().toArray();
		return values[values.length / 2];
	}

	private static String range(List<double[]> samples, int index) {
		double[] values = samples.stream().mapToDouble((sample) -> sample[index]).sorted().toArray();
		return String.format("%.1f-%.1f", values[0], values[values.length - 1]);
	}

	/** Answers every call with an empty response. */
	private static final class Echo extends SimpleServiceGrpc.SimpleServiceImplBase {

		private static final SimpleResponse RESPONSE = SimpleResponse.getDefaultInstance();

		@Override
		public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responseObserver) {
			responseObserver.onNext(RESPONSE);
			responseObserver.onCompleted();
		}

	}

	/**
	 * {@code alloc-bench:///echo}: one address group holding the in-process server's address and the
	 * {@link DiscoveryNameResolverProvider#INSTANCE} attribute the {@code discovery:///} resolver puts on it,
	 * with the chosen policy as service config. Resolution is not on the measured path.
	 */
	private static final class SingleInstanceResolverProvider extends NameResolverProvider {

		@Override
		public @Nullable NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
			if (!SCHEME.equals(targetUri.getScheme())) {
				return null;
			}
			String server = args.getArg(SERVER);
			NameResolver.ConfigOrError config = args.getServiceConfigParser()
				.parseServiceConfig(Map.of("loadBalancingConfig", List.of(Map.of(args.getArg(POLICY), Map.of()))));
			ServiceInstance instance = new ServiceInstance("echo", "echo-1", "127.0.0.1", 1, Map.of(), InstanceStatus.UP,
					Instant.now());
			EquivalentAddressGroup group = new EquivalentAddressGroup(Arrays.asList(new InProcessSocketAddress(server)),
					Attributes.newBuilder().set(DiscoveryNameResolverProvider.INSTANCE, instance).build());
			return new NameResolver() {

				@Override
				public String getServiceAuthority() {
					return "echo";
				}

				@Override
				public void start(Listener2 listener) {
					listener.onResult2(ResolutionResult.newBuilder()
						.setAddressesOrError(io.grpc.StatusOr.fromValue(List.of(group)))
						.setServiceConfig(config)
						.build());
				}

				@Override
				public void shutdown() {
				}

			};
		}

		@Override
		public String getDefaultScheme() {
			return SCHEME;
		}

		@Override
		protected boolean isAvailable() {
			return true;
		}

		@Override
		protected int priority() {
			return 5;
		}

		@Override
		public java.util.Collection<Class<? extends java.net.SocketAddress>> getProducedSocketAddressTypes() {
			return List.of(InProcessSocketAddress.class);
		}

	}

}
