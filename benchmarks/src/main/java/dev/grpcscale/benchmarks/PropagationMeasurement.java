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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

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
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.ServiceRegistry;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;
import dev.grpcscale.test.etcd.EtcdCluster;

/**
 * Case e, propagation: how long a registration takes to reach a real {@code discovery:///} name resolver's
 * listener, over sequential registrations (after warm-ups), for the in-memory registry and for etcd
 * (registry and discovery on separate clients), each against a bare baseline sampled in the same run, one
 * sample of each in turn (bare, scale, scale, bare, ...: each pair alternates which goes first), so both see
 * the same machine. The memory baseline is a plain watch callback on a registry of its own; the etcd one is
 * bare jetcd: a put on one client until a prefix watch on another client reports it, the floor any
 * etcd-based discovery can reach.
 *
 * <p>On the grpc-scale side the resolver is the discovery's only listener: a tap between discovery and the
 * resolver stamps when discovery hands the list over (the "watch" figure), the resolver's listener when the
 * channel would receive it, so no probe's own work sits between the two. Registrations only add instances,
 * so the n-th registration is seen by the first list of n instances: every stamp is a size look-up, not a
 * scan.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.grpcscale.benchmarks.PropagationMeasurement [samples] [memory|etcd|all] [pause-micros]
 * </pre>
 *
 * <p>The memory samples run back to back on one thread unless a pause is given: every registration then
 * comes from a thread that was idle, as an application's registrations do, instead of from a thread that
 * has been busy on the CPU since the run began and that the scheduler of a loaded machine preempts every few
 * milliseconds wherever it stands.
 */
public final class PropagationMeasurement {

	private static final String SERVICE = "measured";

	private PropagationMeasurement() {
	}

	/**
	 * Prints memory propagation, then etcd's on a 3-member cluster, each interleaved with its baseline.
	 * @param args {@code [samples] [memory|etcd|all]}: samples per side, default 1000; backends, default all
	 * @throws Exception if etcd cannot start
	 */
	public static void main(String[] args) throws Exception {
		int samples = (args.length > 0) ? Integer.parseInt(args[0]) : 1000;
		String backends = (args.length > 1) ? args[1] : "all";
		long pauseNanos = (args.length > 2) ? TimeUnit.MICROSECONDS.toNanos(Long.parseLong(args[2])) : 0;
		if (!backends.equals("etcd")) {
			Paired memory = memory(samples, 20, pauseNanos);
			System.out.println(memory.bare());
			System.out.println(memory.scale());
		}
		if (!backends.equals("memory")) {
			try (EtcdCluster etcd = EtcdCluster.start(3)) {
				Paired paired = interleavedEtcd(etcd.clientEndpoints(), samples, 20);
				System.out.println(paired.bare());
				System.out.println(paired.scale());
			}
		}
	}

	/**
	 * A plain watch callback on one {@link InMemoryServiceRegistry} and a {@code discovery:///} resolver on
	 * another, one sample of each in turn, each pair alternating which goes first.
	 * @param registrations measured registrations per side
	 * @param warmup unmeasured registrations per side before them
	 * @return both sides' latencies
	 * @throws Exception if a registration is not seen within 10 s
	 */
	public static Paired memory(int registrations, int warmup) throws Exception {
		return memory(registrations, warmup, 0);
	}

	/**
	 * As {@link #memory(int, int)}, the measuring thread parked for {@code pauseNanos} before each sample.
	 * @param registrations measured registrations per side
	 * @param warmup unmeasured registrations per side before them
	 * @param pauseNanos pause before each sample, 0 for none
	 * @return both sides' latencies
	 * @throws Exception if a registration is not seen within 10 s
	 */
	public static Paired memory(int registrations, int warmup, long pauseNanos) throws Exception {
		String pause = (pauseNanos > 0) ? ", " + TimeUnit.NANOSECONDS.toMicros(pauseNanos) + " us apart" : "";
		try (InMemoryServiceRegistry bareRegistry = InMemoryServiceRegistry.create();
				InMemoryServiceRegistry scaleRegistry = InMemoryServiceRegistry.create();
				WatchProbe bare = new WatchProbe("memory, watch callback" + pause, bareRegistry);
				ScaleProbe scale = new ScaleProbe("memory" + pause, scaleRegistry, scaleRegistry)) {
			return interleave(bare, scale, registrations, warmup, pauseNanos);
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
			return interleave(bare, scale, samples, warmup, 0);
		}
	}

	private static Paired interleave(Probe bare, Probe scale, int samples, int warmup, long pauseNanos)
			throws Exception {
		for (int i = -warmup; i < samples; i++) {
			boolean measured = i >= 0;
			Probe first = ((i & 1) == 0) ? bare : scale;
			Probe second = (first == bare) ? scale : bare;
			pause(pauseNanos);
			first.sample(measured);
			pause(pauseNanos);
			second.sample(measured);
		}
		return new Paired(bare.latencies(), scale.latencies());
	}

	/**
	 * Baseline and grpc-scale latencies of one interleaved run.
	 * @param bare the baseline: put or register until a plain watch saw it (in both arrays)
	 * @param scale register until discovery handed the list to the resolver, and until its listener saw it
	 */
	public record Paired(Latencies bare, Latencies scale) {
	}

	/** One side of an interleaved run: one registration (or put) per sample, waited for. */
	private interface Probe extends AutoCloseable {

		void sample(boolean measured) throws Exception;

		Latencies latencies();

	}

	/** Registrations until a plain watch callback sees each. */
	private static final class WatchProbe implements Probe {

		private final String label;

		private final ServiceRegistry registry;

		private final Map<Integer, Long> seenBySize = new ConcurrentHashMap<>();

		private final Map<Integer, CountDownLatch> done = new ConcurrentHashMap<>();

		private final dev.grpcscale.Subscription subscription;

		private final List<Long> latencies = new ArrayList<>();

		private int next;

		WatchProbe(String label, InMemoryServiceRegistry registry) {
			this.label = label;
			this.registry = registry;
			this.subscription = registry.watch(SERVICE, (instances) -> stamp(this.seenBySize, this.done, instances.size()));
		}

		@Override
		public void sample(boolean measured) throws InterruptedException {
			int n = this.next++;
			CountDownLatch latch = this.done.computeIfAbsent(n + 1, (size) -> new CountDownLatch(1));
			long start = System.nanoTime();
			this.registry.register(new ServiceInstance(SERVICE, "i" + n, "127.0.0.1", 10000 + n, Map.of(),
					InstanceStatus.UP, Instant.now()));
			await(latch, this.label, n);
			if (measured) {
				this.latencies.add(this.seenBySize.get(n + 1) - start);
			}
		}

		@Override
		public Latencies latencies() {
			return Latencies.baseline(this.label, this.latencies);
		}

		@Override
		public void close() {
			this.subscription.cancel();
		}

	}

	private static void pause(long nanos) {
		if (nanos > 0) {
			LockSupport.parkNanos(nanos);
		}
	}

	/** Stamps the first list of {@code size} instances and releases the sample waiting for it. */
	private static void stamp(Map<Integer, Long> seenBySize, Map<Integer, CountDownLatch> done, int size) {
		long now = System.nanoTime();
		if (seenBySize.putIfAbsent(size, now) == null) {
			done.computeIfAbsent(size, (key) -> new CountDownLatch(1)).countDown();
		}
	}

	private static void await(CountDownLatch latch, String label, int registration) throws InterruptedException {
		if (!latch.await(10, TimeUnit.SECONDS)) {
			throw new IllegalStateException(label + ": registration " + registration + " not seen within 10 s");
		}
	}

	/** Bare jetcd: puts on one client, a prefix watch on another. */
	private static final class BareEtcdProbe implements Probe {

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

		@Override
		public void sample(boolean measured) throws Exception {
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

		@Override
		public Latencies latencies() {
			return Latencies.baseline(this.label, this.latencies);
		}

		@Override
		public void close() {
			this.watcher.close();
			this.reader.close();
			this.writer.close();
		}

	}

	/**
	 * grpc-scale: registrations until discovery hands them to a {@code discovery:///} resolver (through a tap,
	 * the resolver's only watch) and until the resolver's listener sees them.
	 */
	private static final class ScaleProbe implements Probe {

		private final String label;

		private final ServiceRegistry registry;

		private final Map<Integer, Long> watchSeen = new ConcurrentHashMap<>();

		private final Map<Integer, Long> resolverSeen = new ConcurrentHashMap<>();

		private final Map<Integer, CountDownLatch> watchDone = new ConcurrentHashMap<>();

		private final Map<Integer, CountDownLatch> resolverDone = new ConcurrentHashMap<>();

		private final List<long[]> latencies = new ArrayList<>();

		private final ScheduledExecutorService timer;

		private final NameResolver resolver;

		private int next;

		ScaleProbe(String label, ServiceRegistry registry, ServiceDiscovery discovery) {
			this.label = label;
			this.registry = registry;
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
				// as a channel gives its resolver: host names are looked up there
				.setOffloadExecutor(this.timer)
				.setServiceConfigParser(new NameResolver.ServiceConfigParser() {
					@Override
					public NameResolver.ConfigOrError parseServiceConfig(Map<String, ?> rawServiceConfig) {
						return NameResolver.ConfigOrError.fromConfig(rawServiceConfig);
					}
				})
				.setArg(DiscoveryNameResolverProvider.SERVICE_DISCOVERY,
						new Tap(discovery, (size) -> stamp(this.watchSeen, this.watchDone, size)))
				.build();
			this.resolver = new DiscoveryNameResolverProvider()
				.newNameResolver(URI.create("discovery:///" + SERVICE), args);
			this.resolver.start(new NameResolver.Listener2() {
				@Override
				public void onResult(NameResolver.ResolutionResult result) {
					stamp(ScaleProbe.this.resolverSeen, ScaleProbe.this.resolverDone,
							result.getAddressesOrError().getValue().size());
				}

				@Override
				public void onError(Status error) {
				}
			});
		}

		@Override
		public void sample(boolean measured) throws InterruptedException {
			int n = this.next++;
			CountDownLatch watched = this.watchDone.computeIfAbsent(n + 1, (size) -> new CountDownLatch(1));
			CountDownLatch resolved = this.resolverDone.computeIfAbsent(n + 1, (size) -> new CountDownLatch(1));
			long start = System.nanoTime();
			this.registry.register(new ServiceInstance(SERVICE, "i" + n, "127.0.0.1", 10000 + n, Map.of(),
					InstanceStatus.UP, Instant.now()));
			await(watched, this.label, n);
			await(resolved, this.label, n);
			if (measured) {
				this.latencies.add(new long[] { this.watchSeen.get(n + 1) - start, this.resolverSeen.get(n + 1) - start });
			}
		}

		@Override
		public Latencies latencies() {
			return new Latencies(this.label, this.latencies.stream().mapToLong((l) -> l[0]).toArray(),
					this.latencies.stream().mapToLong((l) -> l[1]).toArray());
		}

		@Override
		public void close() {
			this.resolver.shutdown();
			this.timer.shutdownNow();
		}

	}

	/** A discovery whose watches report each list's size before the listener gets it. */
	private record Tap(ServiceDiscovery discovery, IntConsumer sizes) implements ServiceDiscovery {

		@Override
		public List<ServiceInstance> getInstances(String serviceName) {
			return this.discovery.getInstances(serviceName);
		}

		@Override
		public List<ServiceInstance> getAllInstances(String serviceName) {
			return this.discovery.getAllInstances(serviceName);
		}

		@Override
		public Set<String> getServiceNames() {
			return this.discovery.getServiceNames();
		}

		@Override
		public dev.grpcscale.Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
			return this.discovery.watch(serviceName, (instances) -> {
				this.sizes.accept(instances.size());
				listener.accept(instances);
			});
		}

		@Override
		public DiscoveryStatus status() {
			return this.discovery.status();
		}

	}

	/**
	 * Propagation latencies of one backend.
	 * @param label the backend
	 * @param toWatchNanos registration until the watch listener saw it, per registration
	 * @param toResolverNanos registration until the resolver's listener saw it, per registration
	 */
	public record Latencies(String label, long[] toWatchNanos, long[] toResolverNanos) {

		/** A baseline's latencies: one figure per sample, in both arrays. */
		static Latencies baseline(String label, List<Long> nanos) {
			long[] values = nanos.stream().mapToLong(Long::longValue).toArray();
			return new Latencies(label, values, values);
		}

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

		/** Watch and resolver p50 / p99 / max in milliseconds; the watch's alone for a baseline. */
		public String summary() {
			if (this.toWatchNanos == this.toResolverNanos) {
				return String.format(Locale.ROOT, "-> watch p50 %.3f / p99 %.3f / max %.3f ms (n=%d)", watchMillis(50),
						watchMillis(99), watchMillis(100), this.toWatchNanos.length);
			}
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
