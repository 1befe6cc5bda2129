/**
 * Consul backend for service discovery: {@link dev.grpcscale.discovery.consul.ConsulServiceRegistry}
 * registers instances with the local Consul agent (with a gRPC or TTL health check) and follows services
 * through blocking queries on the agent's HTTP API. Needs {@code tools.jackson.core:jackson-databind} (Jackson 3)
 * on the class path (an optional dependency of grpc-scale-core); HTTP is the JDK's {@code java.net.http}.
 */
@NullMarked
package dev.grpcscale.discovery.consul;

import org.jspecify.annotations.NullMarked;
