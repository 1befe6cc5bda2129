/**
 * Implementation details shared by the leader election backends ({@code dev.grpcscale.cluster.etcd},
 * {@code dev.grpcscale.cluster.consul}, {@code dev.grpcscale.cluster.raft}): reading the records stored under an
 * election's keys, one-shot timers on an election's scheduler. Not an API; may change in any release.
 */
@NullMarked
package dev.grpcscale.cluster.internal;

import org.jspecify.annotations.NullMarked;
