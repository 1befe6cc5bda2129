/**
 * Implementation details shared by the Consul backends (discovery in {@code dev.grpcscale.discovery.consul},
 * leader election in {@code dev.grpcscale.cluster.consul}): the raw HTTP transport under {@code ConsulClient},
 * Consul durations and the blocking-query rate limiter. Not an API; may change in
 * any release.
 */
@NullMarked
package dev.grpcscale.consul.internal;

import org.jspecify.annotations.NullMarked;
