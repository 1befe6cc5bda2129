package dev.grpcscale.metrics;

import org.jspecify.annotations.Nullable;

/**
 * Implemented by discovery backends (etcd, Consul) that time their registrations, the renewals that keep
 * them alive and the propagation of their watch answers; meters read these tallies, tagged with
 * {@link #latencyProvider()}.
 */
public interface DiscoveryLatencies {

	/**
	 * The backend's name, as its {@code DiscoveryStatus.provider()} reports it in lower case
	 * ({@code etcd}, {@code consul}): the {@code provider} tag of the meters. Never waits for the backend.
	 */
	String latencyProvider();

	/** The time {@code register(instance)} took, until the backend confirmed the instance written. */
	LatencyTally registrations();

	/**
	 * The time from a watch answer's arrival from the backend (for etcd, a watch response carrying
	 * changed instances; for Consul, a blocking query's answer with a changed list) until every watcher,
	 * among them each {@code discovery:///} resolver, was handed the new list.
	 */
	LatencyTally watchLag();

	/**
	 * The round trip of each confirmed renewal that keeps the registrations alive, from send to the
	 * backend's confirmation: etcd's lease keep-alives, Consul's TTL check passes.
	 * @return the tally, or {@code null} when the backend renews nothing (Consul with gRPC checks, which the
	 * agent runs itself)
	 */
	@Nullable LatencyTally leaseRenewals();

}
