/**
 * Leader election and cluster membership on Consul, with a session and KV {@code acquire}:
 * {@link dev.grpcscale.cluster.consul.ConsulLeaderElection}. Needs {@code tools.jackson.core:jackson-databind}
 * (Jackson 3) on the class path; HTTP is the JDK's {@code java.net.http}.
 */
@NullMarked
package dev.grpcscale.cluster.consul;

import org.jspecify.annotations.NullMarked;
