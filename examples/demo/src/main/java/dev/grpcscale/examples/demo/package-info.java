/**
 * The grpc-scale demo: product-service and user-service, and a scripted story that runs them on
 * embedded defaults.
 */
@NullMarked
package dev.grpcscale.examples.demo;

import org.jspecify.annotations.NullMarked;
