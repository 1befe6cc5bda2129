/**
 * Implementation details shared by every part of grpc-scale's core, such as how its threads are named. Not an
 * API; may change in any release.
 */
@NullMarked
package dev.grpcscale.internal;

import org.jspecify.annotations.NullMarked;
