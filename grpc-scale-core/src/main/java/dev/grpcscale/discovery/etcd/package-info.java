/**
 * The etcd discovery backend: {@link dev.grpcscale.discovery.etcd.EtcdServiceRegistry} registers
 * instances under leases and serves discovery from a watched local cache. Needs {@code io.etcd:jetcd-core},
 * {@code tools.jackson.core:jackson-databind} and {@code dev.failsafe:failsafe} on the classpath (optional
 * dependencies of grpc-scale-core).
 */
@NullMarked
package dev.grpcscale.discovery.etcd;

import org.jspecify.annotations.NullMarked;
