/**
 * Implementation details shared by the etcd backends (discovery in {@code dev.grpcscale.discovery.etcd},
 * leader election in {@code dev.grpcscale.cluster.etcd}): renewing a lease with one keep-alive at a time.
 * Not an API; may change in any release.
 */
@NullMarked
package dev.grpcscale.etcd.internal;

import org.jspecify.annotations.NullMarked;
