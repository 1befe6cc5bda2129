package dev.grpcscale.benchmarks;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
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
 * discovery can reach. On etcd the bare and grpc-scale samples are interleaved (bare, scale, scale, bare,
 * ...: each pair alternates which goes first) on the same cluster, so both see the same machine.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.grpcscale.benchmarks.PropagationMeasurement [samples]
 * </pre>
 */
public final class PropagationMeasurement {

	private static final String SERVICE = "measured";

	private PropagationMeasurement() {
	}

	/**
	 * Prints memory propagation, then bare jetcd and grpc-scale on a 3-member etcd, interleaved.
	 * @param args {@code [samples]} per side, default 1000
	 * @throws Exception if etcd cannot start
	 */
	public static void main(String[] args) throws Exception {
		int samples = (args.length > 0) ? Integer.parseInt(args[0]) : 1000;
		System.out.println(memory(samples, 20));
		try (EtcdCluster etcd = EtcdCluster.start(3)) {
			Paired paired = interleavedEtcd(etcd.clientEndpoints(), samples, 20);
			System.out.println(paired.bare());
			System.out.println(paired.scale());
		}
	}

	/**
	 * Propagation through a private {@link InMemoryServiceRegistry}.
	 * @param registrations measured registrations
	 * @param warmup unmeasured registrations before them
	 * @return the latencies
	 * @throws Exception if a registration is not seen within 10 s
	 */
	public static Latencies memory(int registrations, int warmup) throws Exception {
		try (InMemoryServiceRegistry memory = InMemoryServiceRegistry.create();
				ScaleProbe probe = new ScaleProbe("memory", memory, memory)) {
			for (int i = -warmup; i < registrations; i++) {
				probe.sample(i >= 0);
			}
			return probe.latencies();
		}
	}

	/**
	 * Bare jetcd (a put on one client until a prefix watch on another reports it) and grpc-scale (one
	 * {@link EtcdServiceRegistry} registers, another discovers and feeds a {@code discovery:///} resolver) on
	 * the same cluster, one sample of each in turn, each pair alternating which goes first.
	 * @param endpoints etcd client endpoints
	 * @param samples measured samples per side
	 * @param warmup unmeasured samples per side before them
	 * @return both sides' latencies
	 * @throws Exception if etcd does not answer or a change is not seen within 10 s
	 */
	public static Paired interleavedEtcd(List<String> endpoints, int samples, int warmup) throws Exception {
		String members = endpoints.size() + " members";
		try (EtcdServiceRegistry registry = EtcdServiceRegistry.builder().endpoints(endpoints).build();
				EtcdServiceRegistry discovery = EtcdServiceRegistry.builder().endpoints(endpoints).build();
				BareEtcdProbe bare = new BareEtcdProbe("bare jetcd " + members, endpoints);
				ScaleProbe scale = new ScaleProbe("etcd " + members, registry, discovery)) {
			for (int i = -warmup; i < samples; i++) {
				boolean measured = i >= 0;
				if ((i & 1) == 0) {
					bare.sample(measured);
					scale.sample(measured);
				}
				else {
					scale.sample(measured);
					bare.sample(measured);
				}
			}
			return new Paired(bare.latencies(), scale.latencies());
		}
	}

	/**
	 * Bare jetcd and grpc-scale latencies of one interleaved run.
	 * @param bare put until another client's prefix watch saw it (in both arrays)
	 * @param scale register until the watch listener and the resolver saw it
	 */
	public record Paired(Latencies bare, Latencies scale) {
	}

	/** Bare jetcd: puts on one client, a prefix watch on another. */
	private static final class BareEtcdProbe implements AutoCloseable {

		private final String label;

		private final String prefix = "/bare-propagation/" + Long.toHexString(System.nanoTime()) + "/";

		private final Map<String, CountDownLatch> seen = new ConcurrentHashMap<>();

		private final Map<String, Long> seenAt = new ConcurrentHashMap<>();

		private final Client writer;

		private final Client reader;

		private final Watch.Watcher watcher;

		private final List<Long> latencies = new ArrayList<>();

		private int next;

		BareEtcdProbe(String label, List<String> endpoints) throws InterruptedException {
			this.label = label;
			this.writer = Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
			this.reader = Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
			CountDownLatch ready = new CountDownLatch(1);
			this.watcher = this.reader.getWatchClient()
				.watch(ByteSequence.from(this.prefix, StandardCharsets.UTF_8),
						WatchOption.builder().isPrefix(true).withCreateNotify(true).build(), (response) -> {
							if (response.isCreatedNotify()) {
								ready.countDown();
								return;
							}
							long now = System.nanoTime();
							for (WatchEvent event : response.getEvents()) {
								String key = event.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
								if (this.seenAt.putIfAbsent(key, now) == null) {
									this.seen.computeIfAbsent(key, (k) -> new CountDownLatch(1)).countDown();
								}
							}
						});
			if (!ready.await(10, TimeUnit.SECONDS)) {
				close();
				throw new IllegalStateException("bare etcd watch not created within 10 s");
			}
		}

		void sample(boolean measured) throws Exception {
			String key = this.prefix + "k" + this.next++;
			CountDownLatch latch = this.seen.computeIfAbsent(key, (k) -> new CountDownLatch(1));
			long start = System.nanoTime();
			this.writer.getKVClient()
				.put(ByteSequence.from(key, StandardCharsets.UTF_8),
						ByteSequence.from("{\"host\":\"127.0.0.1\"}", StandardCharsets.UTF_8))
				.get(10, TimeUnit.SECONDS);
			if (!latch.await(10, TimeUnit.SECONDS)) {
				throw new IllegalStateException(this.label + ": put " + key + " not seen within 10 s");
			}
			if (measured) {
				this.latencies.add(this.seenAt.get(key) - start);
			}
		}

		Latencies latencies() {
			long[] nanos = this.latencies.stream().mapToLong(Long::longValue).toArray();
			return new Latencies(this.label, nanos, nanos);
		}

		@Override
		public void close() {
			this.watcher.close();
			this.reader.close();
			this.writer.close();
		}

	}

	/** grpc-scale: registrations until a watch listener and a {@code discovery:///} resolver see each. */
	private static final class ScaleProbe implements AutoCloseable {

		private final String label;

		private final ServiceRegistry registry;

		private final Map<String, Long> watchSeen = new ConcurrentHashMap<>();

		private final Map<String, Long> resolverSeen = new ConcurrentHashMap<>();

		private final Map<String, CountDownLatch> done = new ConcurrentHashMap<>();

		private final Map<Integer, String> idByPort = new ConcurrentHashMap<>();

		private final List<long[]> latencies = new ArrayList<>();

		private final dev.grpcscale.Subscription subscription;

		private final ScheduledExecutorService timer;

		private final NameResolver resolver;

		private int next;

		ScaleProbe(String label, ServiceRegistry registry, ServiceDiscovery discovery) {
			this.label = label;
			this.registry = registry;
			this.subscription = discovery.watch(SERVICE, (instances) -> {
				long now = System.nanoTime();
				for (ServiceInstance instance : instances) {
					if (this.watchSeen.putIfAbsent(instance.instanceId(), now) == null) {
						this.done.computeIfAbsent(instance.instanceId(), (id) -> new CountDownLatch(2)).countDown();
					}
				}
			});
			this.timer = Executors.newSingleThreadScheduledExecutor((task) -> {
				Thread thread = new Thread(task, "grpc-scale-bench-resolver-timer");
				thread.setDaemon(true);
				return thread;
			});
			SynchronizationContext syncContext = new SynchronizationContext((thread, ex) -> ex.printStackTrace());
			NameResolver.Args args = NameResolver.Args.newBuilder()
				.setDefaultPort(443)
				.setProxyDetector((address) -> null)
				.setSynchronizationContext(syncContext)
				.setScheduledExecutorService(this.timer)
				.setServiceConfigParser(new NameResolver.ServiceConfigParser() {
					@Override
					public NameResolver.ConfigOrError parseServiceConfig(Map<String, ?> rawServiceConfig) {
						return NameResolver.ConfigOrError.fromConfig(rawServiceConfig);
					}
				})
				.setArg(DiscoveryNameResolverProvider.SERVICE_DISCOVERY, discovery)
				.build();
			this.resolver = new DiscoveryNameResolverProvider()
				.newNameResolver(URI.create("discovery:///" + SERVICE), args);
			this.resolver.start(new NameResolver.Listener2() {
				@Override
				public void onResult(NameResolver.ResolutionResult result) {
					long now = System.nanoTime();
					for (EquivalentAddressGroup group : result.getAddressesOrError().getValue()) {
						int port = ((InetSocketAddress) group.getAddresses().get(0)).getPort();
						String id = ScaleProbe.this.idByPort.get(port);
						if (id != null && ScaleProbe.this.resolverSeen.putIfAbsent(id, now) == null) {
							ScaleProbe.this.done.computeIfAbsent(id, (key) -> new CountDownLatch(2)).countDown();
						}
					}
				}

				@Override
				public void onError(Status error) {
				}
			});
		}

		void sample(boolean measured) throws InterruptedException {
			int n = this.next++;
			String id = "i" + n;
			int port = 10000 + n;
			this.idByPort.put(port, id);
			CountDownLatch latch = this.done.computeIfAbsent(id, (key) -> new CountDownLatch(2));
			long start = System.nanoTime();
			this.registry.register(
					new ServiceInstance(SERVICE, id, "127.0.0.1", port, Map.of(), InstanceStatus.UP, Instant.now()));
			if (!latch.await(10, TimeUnit.SECONDS)) {
				throw new IllegalStateException(this.label + ": registration " + id + " not seen within 10 s");
			}
			if (measured) {
				this.latencies.add(new long[] { this.watchSeen.get(id) - start, this.resolverSeen.get(id) - start });
			}
		}

		Latencies latencies() {
			return new Latencies(this.label, this.latencies.stream().mapToLong((l) -> l[0]).toArray(),
					this.latencies.stream().mapToLong((l) -> l[1]).toArray());
		}

		@Override
		public void close() {
			this.resolver.shutdown();
			this.subscription.cancel();
			this.timer.shutdownNow();
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
