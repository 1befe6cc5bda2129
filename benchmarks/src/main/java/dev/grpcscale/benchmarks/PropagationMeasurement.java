package dev.grpcscale.benchmarks;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.SynchronizationContext;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.ServiceRegistry;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;
import dev.grpcscale.test.etcd.EtcdCluster;

/**
 * Case e, propagation: how long a registration takes to reach a discovery watch listener and a real
 * {@code discovery:///} name resolver's listener, over sequential registrations (after warm-ups), for the
 * in-memory registry and for etcd (registry and discovery on separate clients). The etcd baseline is bare
 * jetcd: a put on one client until a prefix watch on another client reports it, the floor any etcd-based
 * discovery can reach.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.grpcscale.benchmarks.PropagationMeasurement [registrations]
 * </pre>
 */
public final class PropagationMeasurement {

	private static final String SERVICE = "measured";

	private PropagationMeasurement() {
	}

	/**
	 * Prints memory and 3-member etcd propagation, and the bare jetcd baseline.
	 * @param args {@code [registrations]}, default 200
	 * @throws Exception if etcd cannot start
	 */
	public static void main(String[] args) throws Exception {
		int registrations = (args.length > 0) ? Integer.parseInt(args[0]) : 200;
		System.out.println(memory(registrations, 20));
		try (EtcdCluster etcd = EtcdCluster.start(3)) {
			System.out.println(bareEtcd(etcd.clientEndpoints(), registrations, 20));
			System.out.println(etcd(etcd.clientEndpoints(), registrations, 20));
		}
	}

	/**
	 * Propagation through a private {@link InMemoryServiceRegistry}.
	 * @param registrations measured registrations
	 * @param warmup unmeasured registrations before them
	 * @return the latencies
	 * @throws InterruptedException if interrupted
	 */
	public static Latencies memory(int registrations, int warmup) throws InterruptedException {
		try (InMemoryServiceRegistry memory = InMemoryServiceRegistry.create()) {
			return measure("memory", memory, memory, registrations, warmup);
		}
	}

	/**
	 * Propagation through etcd: one {@link EtcdServiceRegistry} registers, another discovers.
	 * @param endpoints etcd client endpoints
	 * @param registrations measured registrations
	 * @param warmup unmeasured registrations before them
	 * @return the latencies
	 * @throws InterruptedException if interrupted
	 */
	public static Latencies etcd(List<String> endpoints, int registrations, int warmup) throws InterruptedException {
		try (EtcdServiceRegistry registry = EtcdServiceRegistry.builder().endpoints(endpoints).build();
				EtcdServiceRegistry discovery = EtcdServiceRegistry.builder().endpoints(endpoints).build()) {
			return measure("etcd " + endpoints.size() + " members", registry, discovery, registrations, warmup);
		}
	}

	/**
	 * Bare jetcd: a put on one client until a prefix watch on another reports it.
	 * @param endpoints etcd client endpoints
	 * @param puts measured puts
	 * @param warmup unmeasured puts before them
	 * @return the latencies (put to watch event, in both arrays)
	 * @throws Exception if etcd does not answer
	 */
	public static Latencies bareEtcd(List<String> endpoints, int puts, int warmup) throws Exception {
		String prefix = "/bare-propagation/" + Long.toHexString(System.nanoTime()) + "/";
		Map<String, CountDownLatch> seen = new ConcurrentHashMap<>();
		Map<String, Long> seenAt = new ConcurrentHashMap<>();
		try (Client writer = Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
				Client reader = Client.builder().endpoints(endpoints.toArray(String[]::new)).build()) {
			ByteSequence prefixBytes = ByteSequence.from(prefix, StandardCharsets.UTF_8);
			CountDownLatch ready = new CountDownLatch(1);
			Watch.Listener listener = Watch.listener((response) -> {
				long now = System.nanoTime();
				for (WatchEvent event : response.getEvents()) {
					String key = event.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
					if (seenAt.putIfAbsent(key, now) == null) {
						seen.computeIfAbsent(key, (k) -> new CountDownLatch(1)).countDown();
					}
				}
			});
			try (Watch.Watcher watcher = reader.getWatchClient()
				.watch(prefixBytes, WatchOption.builder().isPrefix(true).withCreateNotify(true).build(), (response) -> {
					if (response.isCreatedNotify()) {
						ready.countDown();
					}
					else {
						listener.onNext(response);
					}
				})) {
				if (!ready.await(10, TimeUnit.SECONDS)) {
					throw new IllegalStateException("bare etcd watch not created within 10 s");
				}
				long[] latencies = new long[puts];
				for (int i = -warmup; i < puts; i++) {
					String key = prefix + "k" + (i + warmup);
					CountDownLatch latch = seen.computeIfAbsent(key, (k) -> new CountDownLatch(1));
					long start = System.nanoTime();
					writer.getKVClient()
						.put(ByteSequence.from(key, StandardCharsets.UTF_8),
								ByteSequence.from("{\"host\":\"127.0.0.1\"}", StandardCharsets.UTF_8))
						.get(10, TimeUnit.SECONDS);
					if (!latch.await(10, TimeUnit.SECONDS)) {
						throw new IllegalStateException("bare etcd: put " + key + " not seen within 10 s");
					}
					if (i >= 0) {
						latencies[i] = seenAt.get(key) - start;
					}
				}
				return new Latencies("bare jetcd " + endpoints.size() + " members", latencies, latencies);
			}
		}
	}

	/**
	 * Times sequential registrations until a watch listener and a {@code discovery:///} resolver see each.
	 * @param label what is measured
	 * @param registry where to register
	 * @param discovery what to watch and resolve from
	 * @param registrations measured registrations
	 * @param warmup unmeasured registrations before them
	 * @return the latencies
	 * @throws InterruptedException if interrupted
	 */
	public static Latencies measure(String label, ServiceRegistry registry, ServiceDiscovery discovery,
			int registrations, int warmup) throws InterruptedException {
		Map<String, Long> watchSeen = new ConcurrentHashMap<>();
		Map<String, Long> resolverSeen = new ConcurrentHashMap<>();
		Map<String, CountDownLatch> done = new ConcurrentHashMap<>();
		dev.grpcscale.Subscription subscription = discovery.watch(SERVICE, (instances) -> {
			long now = System.nanoTime();
			for (ServiceInstance instance : instances) {
				if (watchSeen.putIfAbsent(instance.instanceId(), now) == null) {
					done.computeIfAbsent(instance.instanceId(), (id) -> new CountDownLatch(2)).countDown();
				}
			}
		});
		ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "grpc-scale-bench-resolver-timer");
			thread.setDaemon(true);
			return thread;
		});
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
		NameResolver resolver = new DiscoveryNameResolverProvider().newNameResolver(URI.create("discovery:///" + SERVICE),
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
		try {
			long[] toWatch = new long[registrations];
			long[] toResolver = new long[registrations];
			for (int i = -warmup; i < registrations; i++) {
				String id = "i" + (i + warmup);
				int port = 10000 + i + warmup;
				idByPort.put(port, id);
				CountDownLatch latch = done.computeIfAbsent(id, (key) -> new CountDownLatch(2));
				long start = System.nanoTime();
				registry.register(new ServiceInstance(SERVICE, id, "127.0.0.1", port, Map.of(), InstanceStatus.UP,
						Instant.now()));
				if (!latch.await(10, TimeUnit.SECONDS)) {
					throw new IllegalStateException(label + ": registration " + id + " not seen within 10 s");
				}
				if (i >= 0) {
					toWatch[i] = watchSeen.get(id) - start;
					toResolver[i] = resolverSeen.get(id) - start;
				}
			}
			return new Latencies(label, toWatch, toResolver);
		}
		finally {
			resolver.shutdown();
			subscription.cancel();
			timer.shutdownNow();
		}
	}

	/**
	 * Propagation latencies of one backend.
	 * @param label the backend
	 * @param toWatchNanos registration until the watch listener saw it, per registration
	 * @param toResolverNanos registration until the resolver's listener saw it, per registration
	 */
	public record Latencies(String label, long[] toWatchNanos, long[] toResolverNanos) {

		/** A percentile (0 to 100, nearest rank) of the resolver latencies, in milliseconds. */
		public double resolverMillis(double percentile) {
			return percentile(this.toResolverNanos, percentile) / 1e6;
		}

		/** A percentile (0 to 100, nearest rank) of the watch latencies, in milliseconds. */
		public double watchMillis(double percentile) {
			return percentile(this.toWatchNanos, percentile) / 1e6;
		}

		static long percentile(long[] values, double percentile) {
			long[] sorted = values.clone();
			Arrays.sort(sorted);
			int rank = (int) Math.ceil(percentile / 100 * sorted.length);
			return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
		}

		/** Watch and resolver p50 / p99 / max in milliseconds. */
		public String summary() {
			return String.format(Locale.ROOT,
					"register -> watch p50 %.3f / p99 %.3f / max %.3f ms; -> resolver p50 %.3f / p99 %.3f / max %.3f ms (n=%d)",
					watchMillis(50), watchMillis(99), watchMillis(100), resolverMillis(50), resolverMillis(99),
					resolverMillis(100), this.toResolverNanos.length);
		}

		@Override
		public String toString() {
			return this.label + ": " + summary();
		}

	}

}
