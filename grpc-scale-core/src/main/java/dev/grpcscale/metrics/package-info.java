/**
 * Metrics: the {@code grpc.scale.operation} observation of {@code executeWithEnhancements}, its context and
 * its overridable {@link dev.grpcscale.metrics.OperationObservationConvention convention}, and
 * {@link dev.grpcscale.metrics.OperationTimers}, which records the same timer directly when no tracer
 * observes operations. The meters of
 * breakers, discovery, health and clusters are bound by the auto-configuration's
 * {@code dev.grpcscale.autoconfigure.metrics} package from grpc-scale's own counters.
 */
@NullMarked
package dev.grpcscale.metrics;

import org.jspecify.annotations.NullMarked;
