package dev.grpcscale.discovery.etcd;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.ServiceRegistry;
import dev.grpcscale.test.etcd.EtcdCluster;

/**
 * Prints how long a registration takes to reach a discovery watch listener and a {@code discovery:///}
 * name resolver's listener, p50/p99 over {@value #REGISTRATIONS} sequential registrations, for the
 * in-memory registry and for etcd (3 members on loopback; registry and discovery on separate clients).
 * A measurement, not a test: no timing is asserted. Not matched by the surefire includes; run with
 * {@code -Dtest=DiscoveryPropagationMeasurement}.
 */
class DiscoveryPropagationMeasurement {

	private static final int REGISTRATIONS = 200;

	private static final int WARMUP = 20;

	@Test
	void printPropagationLatencies() throws Exception {
		InMemoryServiceRegistry memory = InMemoryServiceRegistry.create();
		try {
			measure("memory", memory, memory);
		}
		finally {
			memory.close();
		}
		try (EtcdCluster etcd = EtcdCluster.start(3)) {
			try (EtcdServiceRegistry registry = EtcdServiceRegistry.builder().endpoints(etcd.clientEndpoints()).build();
					EtcdServiceRegistry discovery = EtcdServiceRegistry.builder().endpoints(etcd.clientEndpoints()).build()) {
				measure("etcd 3 members", registry, discovery);
			}
		}
	}

	private void measure(String label, ServiceRegistry registry, ServiceDiscovery discovery) throws Exception {
		String service = "measured";
		Map<String, Long> watchSeen = new ConcurrentHashMap<>();
		Map<String, Long> resolverSeen = new ConcurrentHashMap<>();
		Map<String, CountDownLatch> done = new ConcurrentHashMap<>();
		discovery.watch(service, (instances) -> {
			long now = System.nanoTime();
			for (ServiceInstance instance : instances) {
				if (watchSeen.putIfAbsent(instance.instanceId(), now) == null) {
					done.computeIfAbsent(instance.instanceId(), (id) -> new CountDownLatch(2)).countDown();
				}
			}
		});
		ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
		SynchronizationContext syncContext = new SynchronizationContext((thread, ex) -> ex.printStackTrace());
		NameResolver.Args args = NameResolver.Args.newBuilder()
			.setDefaultPort(443)
			.setProxyDetector((address) -> null)
			.setSynchronizationContext(syncContext)
			.setScheduledExecutorService(timer)
			.setServiceConfigParser(new NameResolver.ServiceConfigParser() {
				@Override
				public NameResolver.ConfigOrError parseServiceConfig(Map<String, ?> rawServiceConfig) {
					return NameResolver.ConfigOrError.fromConfig(rawServiceConfig);
				}
			})
			.setArg(DiscoveryNameResolverProvider.SERVICE_DISCOVERY, discovery)
			.build();
		NameResolver resolver = new DiscoveryNameResolverProvider().newNameResolver(URI.create("discovery:///" + service),
				args);
		Map<Integer, String> idByPort = new ConcurrentHashMap<>();
		resolver.start(new NameResolver.Listener2() {
			@Override
			public void onResult(NameResolver.ResolutionResult result) {
				long now = System.nanoTime();
				for (EquivalentAddressGroup group : result.getAddressesOrError().getValue()) {
					int port = ((InetSocketAddress) group.getAddresses().get(0)).getPort();
					String id = idByPort.get(port);
					if (id != null && resolverSeen.putIfAbsent(id, now) == null) {
						done.computeIfAbsent(id, (key) -> new CountDownLatch(2)).countDown();
					}
				}
			}

			@Override
			public void onError(Status error) {
			}
		});
		long[] toWatch = new long[REGISTRATIONS];
		long[] toResolver = new long[REGISTRATIONS];
		for (int i = -WARMUP; i < REGISTRATIONS; i++) {
			String id = "i" + (i + WARMUP);
			int port = 10000 + i + WARMUP;
			idByPort.put(port, id);
			CountDownLatch latch = done.computeIfAbsent(id, (key) -> new CountDownLatch(2));
			long start = System.nanoTime();
			registry.register(new ServiceInstance(service, id, "127.0.0.1", port, Map.of(), InstanceStatus.UP,
					Instant.now()));
			if (!latch.await(10, TimeUnit.SECONDS)) {
				throw new IllegalStateException(label + ": registration " + id + " not seen within 10 s");
			}
			if (i >= 0) {
				toWatch[i] = watchSeen.get(id) - start;
				toResolver[i] = resolverSeen.get(id) - start;
			}
		}
		resolver.shutdown();
		timer.shutdownNow();
		System.out.printf("%s: register -> watch listener   %s%n", label, summary(toWatch));
		System.out.printf("%s: register -> resolver result  %s%n", label, summary(toResolver));
	}

	private static String summary(long[] nanos) {
		long[] sorted = nanos.clone();
		Arrays.sort(sorted);
		Function<Double, String> pct = (p) -> String.format("%.3f ms",
				sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] / 1e6);
		return "p50 " + pct.apply(0.50) + ", p99 " + pct.apply(0.99) + ", max " + pct.apply(1.0) + " (n="
				+ sorted.length + ")";
	}


}
