/**
 * Client-side health checking: {@link dev.grpcscale.health.HealthCheckingServiceDiscovery} decorates a
 * {@link dev.grpcscale.discovery.ServiceDiscovery}, probes every instance of the services read through it
 * with {@code grpc.health.v1.Health/Check}, and hides the instances that failed
 * {@link dev.grpcscale.health.HealthCheckOptions#retries()} consecutive probes from discovery results,
 * watches and so from {@code discovery:///} channels.
 */
@NullMarked
package dev.grpcscale.health;

import org.jspecify.annotations.NullMarked;
