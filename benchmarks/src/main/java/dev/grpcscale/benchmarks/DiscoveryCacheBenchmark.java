package dev.grpcscale.benchmarks;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * Case c, memory: a read of a service's instances from the {@link InMemoryServiceRegistry} cache, directly
 * and through {@link EnhancedServiceManager#discoverServices}, with 10, 1,000 and 10,000 instances of the
 * read service (and 9 other services of 10 instances beside it). The baseline is what a hand-written cache
 * costs: a {@link ConcurrentHashMap} lookup of a prebuilt immutable list.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xms512m", "-Xmx512m" })
public class DiscoveryCacheBenchmark implements CacheReads {

	static final String SERVICE = "product-service";

	/** Instances of the service read. */
	@Param({ "10", "1000", "10000" })
	public int instances;

	@Override
	public void instances(int count) {
		this.instances = count;
	}

	private InMemoryServiceRegistry registry;

	private EnhancedServiceManager manager;

	private final Map<String, List<ServiceInstance>> bare = new ConcurrentHashMap<>();

	/** Registers the instances. */
	@Override
	@Setup
	public void setUp() {
		this.registry = InMemoryServiceRegistry.create();
		for (ServiceInstance instance : instances(SERVICE, this.instances)) {
			this.registry.register(instance);
		}
		for (int s = 0; s < 9; s++) {
			for (ServiceInstance instance : instances("other-" + s, 10)) {
				this.registry.register(instance);
			}
		}
		this.manager = EnhancedServiceManager.builder().serviceRegistry(this.registry).serviceDiscovery(this.registry)
			.build();
		this.bare.putAll(Map.of(SERVICE, List.copyOf(instances(SERVICE, this.instances))));
		for (int s = 0; s < 9; s++) {
			this.bare.put("other-" + s, List.copyOf(instances("other-" + s, 10)));
		}
		if (this.registry.getInstances(SERVICE).size() != this.instances) {
			throw new IllegalStateException("registry holds " + this.registry.getInstances(SERVICE).size());
		}
	}

	/** Closes the registry. */
	@Override
	@TearDown
	public void tearDown() {
		if (this.registry != null) {
			this.registry.close();
		}
	}

	/**
	 * Instances {@code i0..i<count-1>} of a service on 10.x.y.z:9090, with a little metadata.
	 * @param service the service
	 * @param count how many
	 * @return the instances
	 */
	static List<ServiceInstance> instances(String service, int count) {
		List<ServiceInstance> result = new ArrayList<>(count);
		Instant now = Instant.now();
		for (int i = 0; i < count; i++) {
			result.add(new ServiceInstance(service, "i" + i, "10." + ((i >> 16) & 255) + "." + ((i >> 8) & 255) + "."
					+ (i & 255), 9090, Map.of("version", "1.4.2", "zone", "zone-" + (i % 3)), InstanceStatus.UP, now));
		}
		return result;
	}

	/** Baseline: a map lookup of an immutable list. */
	@Benchmark
	public List<ServiceInstance> bareMapGet() {
		return this.bare.get(SERVICE);
	}

	/** {@code InMemoryServiceRegistry.getInstances}. */
	@Override
	@Benchmark
	public List<ServiceInstance> getInstances() {
		return this.registry.getInstances(SERVICE);
	}

	/** {@code EnhancedServiceManager.discoverServices} over the same registry. */
	@Override
	@Benchmark
	public List<ServiceInstance> discoverServices() {
		return this.manager.discoverServices(SERVICE);
	}

}
