/**
 * Implementation details shared by the discovery backends; not an API, may change in any release.
 */
@NullMarked
package dev.grpcscale.discovery.internal;

import org.jspecify.annotations.NullMarked;
