package dev.grpcscale.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.openjdk.jol.info.GraphLayout;

import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;
import dev.grpcscale.test.etcd.EtcdCluster;

/**
 * Case d: retained heap per registered instance, measured with JOL's {@link GraphLayout} (the object
 * graph reachable from the registry, so no GC noise): the registry holding {@code n} instances minus the
 * same registry empty, divided by {@code n}. The baseline is the instances themselves (the
 * {@link ServiceInstance} records, their strings and metadata maps) held in a plain {@link ArrayList}: what
 * the data costs before any registry keeps it.
 *
 * <p>For the etcd backend a reading registry is measured after it loaded the {@code n} instances another
 * registry registered, minus a reading registry of an empty namespace measured while that writer holds
 * the same registrations. JOL's walk goes from the reader's jetcd client through its Netty threads into
 * their {@link ThreadGroup} and so into every live thread of the process: the writer's registrations are in
 * both graphs and cancel out, instead of being counted as the reader's. Each graph is taken after a
 * {@link System#gc()}, so objects only weakly reachable (gRPC's thread-local parse buffer, as big as the
 * last response it parsed) are not counted as retained.
 */
public final class RegistryFootprint {

	static {
		// JOL cannot take field offsets of records through Unsafe on Java 17; this mode finds them itself
		if (System.getProperty("jol.magicFieldOffset") == null) {
			System.setProperty("jol.magicFieldOffset", "true");
		}
	}

	private RegistryFootprint() {
	}

	/**
	 * Prints case d for the memory registry and, with {@code --etcd}, for the etcd cache.
	 * @param args {@code [instances] [--etcd]}
	 */
	public static void main(String[] args) {
		int instances = 10_000;
		boolean etcd = false;
		for (String arg : args) {
			if ("--etcd".equals(arg)) {
				etcd = true;
			}
			else {
				instances = Integer.parseInt(arg);
			}
		}
		System.out.println(memory(instances).line());
		if (etcd) {
			System.out.println(etcd(instances).line());
		}
	}

	/**
	 * Measures the in-memory registry.
	 * @param instances how many instances to register
	 * @return case d for memory
	 */
	public static CaseResult memory(int instances) {
		List<ServiceInstance> data = DiscoveryCacheBenchmark.instances(DiscoveryCacheBenchmark.SERVICE, instances);
		long baseline = GraphLayout.parseInstance(new ArrayList<>(data)).totalSize();
		try (InMemoryServiceRegistry empty = InMemoryServiceRegistry.create();
				InMemoryServiceRegistry full = InMemoryServiceRegistry.create()) {
			for (ServiceInstance instance : data) {
				full.register(instance);
			}
			long emptySize = GraphLayout.parseInstance(empty).totalSize();
			long fullSize = GraphLayout.parseInstance(full).totalSize();
			return result("d.heap-per-instance.memory", instances, fullSize - emptySize, baseline);
		}
	}

	/**
	 * Measures the etcd discovery cache (a registry that registered nothing and read {@code instances}
	 * registered by another), on a single-node etcd started here.
	 * @param instances how many instances to register
	 * @return case d for etcd
	 */
	public static CaseResult etcd(int instances) {
		List<ServiceInstance> data = DiscoveryCacheBenchmark.instances(DiscoveryCacheBenchmark.SERVICE, instances);
		long baseline = GraphLayout.parseInstance(new ArrayList<>(data)).totalSize();
		try (EtcdCluster cluster = EtcdCluster.startSingle();
				EtcdServiceRegistry writer = EtcdServiceRegistry.builder().endpoints(cluster.clientEndpoints()).build()) {
			for (ServiceInstance instance : data) {
				writer.register(instance);
			}
			long emptySize;
			try (EtcdServiceRegistry empty = EtcdServiceRegistry.builder()
				.endpoints(cluster.clientEndpoints())
				.namespace("/footprint-empty")
				.build()) {
				empty.getInstances(DiscoveryCacheBenchmark.SERVICE);
				emptySize = retainedSize(empty);
			}
			try (EtcdServiceRegistry reader = EtcdServiceRegistry.builder().endpoints(cluster.clientEndpoints()).build()) {
				int loaded = reader.getInstances(DiscoveryCacheBenchmark.SERVICE).size();
				if (loaded != instances) {
					throw new IllegalStateException("etcd cache holds " + loaded + ", expected " + instances);
				}
				return result("d.heap-per-instance.etcd", instances, retainedSize(reader) - emptySize, baseline);
			}
		}
	}

	private static long retainedSize(Object root) {
		System.gc();
		return GraphLayout.parseInstance(root).totalSize();
	}

	private static CaseResult result(String name, int instances, long delta, long baseline) {
		double perInstance = (double) delta / instances;
		double baselinePerInstance = (double) baseline / instances;
		return CaseResult.boundedBy(name, perInstance, baselinePerInstance, "registry bytes / the instances' own bytes",
				1024, "<= 1024 B per instance",
				String.format(Locale.ROOT, "%d instances: %.0f B per instance retained (delta %d B), instances alone %.0f B",
						instances, perInstance, delta, baselinePerInstance));
	}

}
