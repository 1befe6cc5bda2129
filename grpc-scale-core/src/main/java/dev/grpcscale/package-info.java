/**
 * grpc-scale core: service discovery, name resolution, circuit breaking, health, tracing and leader
 * election for grpc-java, with no dependency on Spring. {@link dev.grpcscale.EnhancedServiceManager} is
 * the facade over the capabilities, each of which lives in a package of its own.
 */
@NullMarked
package dev.grpcscale;

import org.jspecify.annotations.NullMarked;
