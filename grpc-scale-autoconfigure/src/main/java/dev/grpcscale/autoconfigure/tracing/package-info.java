/**
 * Tracing: {@code grpc.scale.tracing.*} mapped onto Spring Boot's Micrometer Tracing and OpenTelemetry
 * properties, and a start-up warning when those keys are set without the libraries they configure.
 */
@NullMarked
package dev.grpcscale.autoconfigure.tracing;

import org.jspecify.annotations.NullMarked;
