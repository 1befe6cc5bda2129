package dev.grpcscale.benchmarks;

import java.util.List;
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
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;
import dev.grpcscale.test.etcd.EtcdCluster;

/**
 * Case c, etcd: a read of a service's instances from {@link EtcdServiceRegistry}'s cache (no request to
 * etcd: the cache is loaded once and kept by a watch), directly and through
 * {@link EnhancedServiceManager#discoverServices}. The instances are registered by one registry and read
 * by another, on a single-node etcd started from the {@code etcd} binary for each parameter value.
 * Compare with {@link DiscoveryCacheBenchmark} run beside it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xms512m", "-Xmx512m" })
public class EtcdDiscoveryCacheBenchmark implements CacheReads {

	/** Instances of the service read. */
	@Param({ "10", "1000", "10000" })
	public int instances;

	@Override
	public void instances(int count) {
		this.instances = count;
	}

	private EtcdCluster etcd;

	private EtcdServiceRegistry registry;

	private EtcdServiceRegistry discovery;

	private EnhancedServiceManager manager;

	/** Starts etcd and registers the instances. */
	@Override
	@Setup
	public void setUp() {
		this.etcd = EtcdCluster.startSingle();
		this.registry = EtcdServiceRegistry.builder().endpoints(this.etcd.clientEndpoints()).build();
		for (ServiceInstance instance : DiscoveryCacheBenchmark.instances(DiscoveryCacheBenchmark.SERVICE,
				this.instances)) {
			this.registry.register(instance);
		}
		this.discovery = EtcdServiceRegistry.builder().endpoints(this.etcd.clientEndpoints()).build();
		this.manager = EnhancedServiceManager.builder().serviceDiscovery(this.discovery).build();
		int loaded = this.discovery.getInstances(DiscoveryCacheBenchmark.SERVICE).size();
		if (loaded != this.instances) {
			throw new IllegalStateException("etcd cache holds " + loaded + " instances, expected " + this.instances);
		}
	}

	/** Closes the registries and stops etcd, as far as {@link #setUp} got. */
	@Override
	@TearDown
	public void tearDown() {
		if (this.discovery != null) {
			this.discovery.close();
		}
		if (this.registry != null) {
			this.registry.close();
		}
		if (this.etcd != null) {
			this.etcd.close();
		}
	}

	/** {@code EtcdServiceRegistry.getInstances}. */
	@Override
	@Benchmark
	public List<ServiceInstance> getInstances() {
		return this.discovery.getInstances(DiscoveryCacheBenchmark.SERVICE);
	}

	/** {@code EnhancedServiceManager.discoverServices} over the etcd cache. */
	@Override
	@Benchmark
	public List<ServiceInstance> discoverServices() {
		return this.manager.discoverServices(DiscoveryCacheBenchmark.SERVICE);
	}

}
