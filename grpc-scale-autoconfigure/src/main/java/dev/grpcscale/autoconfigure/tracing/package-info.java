/**
 * Tracing: {@code grpc.scale.tracing.*} mapped onto Spring Boot's Micrometer Tracing and OpenTelemetry
 * properties.
 */
@NullMarked
package dev.grpcscale.autoconfigure.tracing;

import org.jspecify.annotations.NullMarked;
