/**
 * Service discovery: the {@link dev.grpcscale.discovery.ServiceInstance} value type, the
 * {@link dev.grpcscale.discovery.ServiceRegistry} and {@link dev.grpcscale.discovery.ServiceDiscovery}
 * SPIs, the in-JVM {@link dev.grpcscale.discovery.InMemoryServiceRegistry}, and the
 * {@code discovery:///<service>} name resolver that feeds gRPC channels from a discovery cache.
 */
@NullMarked
package dev.grpcscale.discovery;

import org.jspecify.annotations.NullMarked;
