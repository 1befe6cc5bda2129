/**
 * Auto-configuration of client-side health checking of discovered instances from
 * {@code grpc.scale.health-check.*}.
 */
@NullMarked
package dev.grpcscale.autoconfigure.health;

import org.jspecify.annotations.NullMarked;
