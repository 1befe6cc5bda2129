/**
 * A test fixture that runs real etcd servers from the {@code etcd} binary: {@link
 * dev.grpcscale.test.etcd.EtcdCluster}.
 */
@NullMarked
package dev.grpcscale.test.etcd;

import org.jspecify.annotations.NullMarked;
