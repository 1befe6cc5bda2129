/**
 * Auto-configuration of circuit breaking: breakers per service, instance and operation from
 * {@code grpc.scale.circuit-breaker.*}, guarding {@code discovery:///} channels.
 */
@NullMarked
package dev.grpcscale.autoconfigure.circuitbreaker;

import org.jspecify.annotations.NullMarked;
