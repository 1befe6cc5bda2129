package dev.grpcscale.discovery;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

import dev.grpcscale.Subscription;

/**
 * Reads instances from a discovery backend. Reads are served from a local cache that the backend's watch
 * keeps current; while the backend is unreachable the last known instances keep being served.
 *
 * <p>Implementations are thread-safe and never call a listener concurrently with itself.
 */
public interface ServiceDiscovery {

	/**
	 * The instances of a service that should receive traffic ({@link InstanceStatus#UP}), in a stable
	 * order.
	 * @param serviceName the service name
	 * @return an immutable list, empty when none is known
	 */
	List<ServiceInstance> getInstances(String serviceName);

	/**
	 * Every known instance of a service, whatever its status.
	 * @param serviceName the service name
	 * @return an immutable list, empty when none is known
	 */
	List<ServiceInstance> getAllInstances(String serviceName);

	/** The names of the services with at least one known instance. */
	Set<String> getServiceNames();

	/**
	 * The number of {@link InstanceStatus#UP} instances of each service this discovery holds, for status
	 * views. By default every name of {@link #getServiceNames()} with the size of
	 * {@link #getInstances(String)}; a backend that holds only the services it was asked about (etcd)
	 * answers for those, without loading the others.
	 * @return service name to count, sorted by name
	 */
	default Map<String, Integer> instanceCounts() {
		Map<String, Integer> counts = new TreeMap<>();
		for (String name : getServiceNames()) {
			counts.put(name, getInstances(name).size());
		}
		return counts;
	}

	/**
	 * Follows the instances of a service. The listener is called once with the current instances (those
	 * {@link InstanceStatus#UP}), then after every change, always with the whole current list; it never
	 * sees an older list after a newer one. A listener that throws is logged and kept. grpc-scale's backends
	 * call it on the thread that made or received the change; a change that arrives while the listener still
	 * runs on another thread is left to that thread, which hands it the newest list when it returns, so a
	 * slow listener holds up no other thread.
	 * @param serviceName the service name
	 * @param listener receives the {@link InstanceStatus#UP} instances
	 * @return a handle that stops the callbacks
	 */
	Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener);

	/** The state of the backend connection, for status views and health indicators. */
	DiscoveryStatus status();

}
