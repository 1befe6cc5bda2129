package dev.grpcscale.benchmarks;

import java.util.List;

import dev.grpcscale.discovery.ServiceInstance;

/**
 * The state of a case c benchmark as {@link DiscoveryCacheCpu} drives it outside JMH: set up for one
 * instance count, the two cache reads, torn down.
 */
interface CacheReads {

	/**
	 * Sets the instance count, as JMH sets the {@code instances} parameter.
	 * @param count instances of the service read
	 */
	void instances(int count);

	/** Registers the instances (and starts what holds them). */
	void setUp();

	/** Releases what {@link #setUp} made, as far as it got. */
	void tearDown();

	/**
	 * The cache's own read.
	 * @return the service's instances
	 */
	List<ServiceInstance> getInstances();

	/**
	 * The read through {@code EnhancedServiceManager.discoverServices}.
	 * @return the service's instances
	 */
	List<ServiceInstance> discoverServices();

}
