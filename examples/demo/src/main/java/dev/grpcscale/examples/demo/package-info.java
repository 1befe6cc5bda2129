/**
 * The grpc-scale demo: product-service and user-service, and a scripted story that runs them on
 * embedded defaults in one JVM, or as separate processes on etcd.
 */
@NullMarked
package dev.grpcscale.examples.demo;

import org.jspecify.annotations.NullMarked;
