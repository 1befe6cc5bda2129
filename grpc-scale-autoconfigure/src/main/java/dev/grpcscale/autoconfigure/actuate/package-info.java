/**
 * Actuator support: the {@code grpcscale} endpoint and health indicators.
 */
@NullMarked
package dev.grpcscale.autoconfigure.actuate;

import org.jspecify.annotations.NullMarked;
