/**
 * Clustering and leader election: the {@link dev.grpcscale.cluster.LeaderElection} SPI, its settings and
 * value types, the lease engine every provider shares ({@link dev.grpcscale.cluster.AbstractLeaderElection}),
 * the in-JVM provider ({@link dev.grpcscale.cluster.InMemoryLeaderElection}) and
 * {@link dev.grpcscale.cluster.LeaderTask}, which runs work only while this node leads.
 *
 * <p>Leadership is a lease: {@link dev.grpcscale.cluster.LeaderElection#isLeader()} turns false on its own,
 * on a monotonic clock, before another node can be elected. Fencing tokens only grow from leader to
 * leader; pass them to downstream writes so a deposed leader's late writes are rejected.
 */
@NullMarked
package dev.grpcscale.cluster;

import org.jspecify.annotations.NullMarked;
