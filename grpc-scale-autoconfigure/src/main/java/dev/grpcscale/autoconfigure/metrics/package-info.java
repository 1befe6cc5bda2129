/**
 * Micrometer meters of grpc-scale, read from grpc-scale's own state (function counters, gauges and
 * function timers registered once per breaker, service or election; no per-call listener), and the
 * auto-configuration that binds them.
 */
@NullMarked
package dev.grpcscale.autoconfigure.metrics;

import org.jspecify.annotations.NullMarked;
