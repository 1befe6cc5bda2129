/**
 * Benchmarks and measurements of grpc-scale against bare grpc-java, bare resilience4j and bare etcd, each
 * beside its baseline in the same run: JMH benchmarks, a loopback load harness
 * ({@link dev.grpcscale.benchmarks.LoopbackLoadHarness}) and the goal report
 * ({@link dev.grpcscale.benchmarks.GoalReport}). Not part of the library.
 */
@NullMarked
package dev.grpcscale.benchmarks;

import org.jspecify.annotations.NullMarked;
