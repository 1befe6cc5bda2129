/**
 * Auto-configuration of clustering and leader election: the {@code LeaderElection} backend chosen by
 * {@code grpc.scale.cluster.provider}, joined when the context starts, and Spring events for this node's
 * leadership changes.
 */
@NullMarked
package dev.grpcscale.autoconfigure.cluster;

import org.jspecify.annotations.NullMarked;
