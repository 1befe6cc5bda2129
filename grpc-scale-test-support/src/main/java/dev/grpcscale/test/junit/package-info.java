/**
 * JUnit helpers shared by grpc-scale's test suites.
 */
@NullMarked
package dev.grpcscale.test.junit;

import org.jspecify.annotations.NullMarked;
