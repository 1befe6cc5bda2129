/**
 * Leader election and cluster membership on etcd, with jetcd's {@code Election} on a lease:
 * {@link dev.grpcscale.cluster.etcd.EtcdLeaderElection}. Needs {@code io.etcd:jetcd-core} and
 * {@code tools.jackson.core:jackson-databind} (Jackson 3) on the class path.
 */
@NullMarked
package dev.grpcscale.cluster.etcd;

import org.jspecify.annotations.NullMarked;
