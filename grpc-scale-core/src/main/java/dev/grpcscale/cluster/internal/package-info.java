/**
 * Implementation details shared by the leader election backends ({@code dev.grpcscale.cluster.etcd},
 * {@code dev.grpcscale.cluster.consul}): reading the records stored under an election's keys. Not an API; may
 * change in any release.
 */
@NullMarked
package dev.grpcscale.cluster.internal;

import org.jspecify.annotations.NullMarked;
