package dev.grpcscale.discovery;

/**
 * Whether an instance should receive traffic. Only {@link #UP} instances are returned by
 * {@link ServiceDiscovery#getInstances(String)} and handed to gRPC channels.
 */
public enum InstanceStatus {

	/** Registered and serving. */
	UP,

	/** Registered but not to be used, for example after failed health checks. */
	DOWN

}
