package dev.grpcscale.metrics;

/**
 * Implemented by discovery backends that time their registrations and the propagation of their watch
 * events; meters read these tallies.
 */
public interface DiscoveryLatencies {

	/** The time {@code register(instance)} took, until the backend confirmed the instance written. */
	LatencyTally registrations();

	/**
	 * The time from a watch answer's arrival from the backend (for etcd, a watch response carrying
	 * changed instances) until every watcher, among them each {@code discovery:///} resolver, was handed
	 * the new list.
	 */
	LatencyTally watchLag();

}
