/**
 * The application's one Kubernetes client, shared by the {@code kubernetes} discovery and cluster providers.
 */
@NullMarked
package dev.grpcscale.autoconfigure.kubernetes;

import org.jspecify.annotations.NullMarked;
