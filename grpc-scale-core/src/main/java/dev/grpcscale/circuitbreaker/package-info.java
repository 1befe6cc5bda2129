/**
 * Circuit breaking on resilience4j: {@link dev.grpcscale.circuitbreaker.GrpcCircuitBreakers} keeps one
 * breaker per target service, per discovered instance and per operation, configured by
 * {@link dev.grpcscale.circuitbreaker.CircuitBreakerSettings}.
 * {@link dev.grpcscale.circuitbreaker.CircuitBreakerClientInterceptor} guards a channel's calls with the
 * service breaker, and the {@code grpc_scale_round_robin} load-balancing policy of
 * {@link dev.grpcscale.circuitbreaker.CircuitBreakerLoadBalancerProvider} takes an instance whose breaker
 * is open out of load balancing.
 */
@NullMarked
package dev.grpcscale.circuitbreaker;

import org.jspecify.annotations.NullMarked;
