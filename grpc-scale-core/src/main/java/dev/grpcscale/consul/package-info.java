/**
 * What the Consul backends share: {@link dev.grpcscale.consul.ConsulConnection}, the settings of the
 * connection to a Consul agent, taken by {@code ConsulServiceRegistry} (discovery) and
 * {@code ConsulLeaderElection} (cluster) alike.
 */
@NullMarked
package dev.grpcscale.consul;

import org.jspecify.annotations.NullMarked;
