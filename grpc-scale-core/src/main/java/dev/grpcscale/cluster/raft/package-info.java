/**
 * Leader election among the nodes listed in the configuration, with no coordinator: a Raft group run by
 * Apache Ratis, {@link dev.grpcscale.cluster.raft.RaftLeaderElection}. Needs {@code org.apache.ratis:ratis-server}
 * and {@code org.apache.ratis:ratis-grpc} on the class path (Ratis shades its own gRPC and protobuf).
 */
@NullMarked
package dev.grpcscale.cluster.raft;

import org.jspecify.annotations.NullMarked;
