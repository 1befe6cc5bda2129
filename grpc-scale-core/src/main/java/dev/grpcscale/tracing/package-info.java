/**
 * Tracing: observations (spans, timers) around grpc-scale's operations, on Micrometer Observation.
 */
@NullMarked
package dev.grpcscale.tracing;

import org.jspecify.annotations.NullMarked;
