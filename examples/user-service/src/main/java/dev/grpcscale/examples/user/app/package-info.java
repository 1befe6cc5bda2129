/**
 * The user-service example application.
 */
@NullMarked
package dev.grpcscale.examples.user.app;

import org.jspecify.annotations.NullMarked;
