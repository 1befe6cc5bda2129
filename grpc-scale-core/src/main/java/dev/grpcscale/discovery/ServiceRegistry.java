package dev.grpcscale.discovery;

/**
 * Writes instances into a discovery backend. Implementations keep their registrations alive (leases,
 * TTL checks) until {@link #deregister} or {@link #close()}, and restore them when a backend that was
 * unreachable comes back.
 *
 * <p>Implementations are thread-safe.
 */
public interface ServiceRegistry extends AutoCloseable {

	/**
	 * Registers an instance, or replaces the one with the same service name and instance id.
	 * @param instance the instance
	 * @throws DiscoveryException if the backend rejected the registration
	 */
	void register(ServiceInstance instance);

	/**
	 * Removes an instance this registry registered. Removing an unknown instance does nothing.
	 * @param serviceName the service name
	 * @param instanceId the instance id
	 * @return whether an instance was removed
	 * @throws DiscoveryException if the backend could not be reached
	 */
	boolean deregister(String serviceName, String instanceId);

	/**
	 * Deregisters every instance this registry registered and releases its resources. Idempotent.
	 */
	@Override
	void close();

}
