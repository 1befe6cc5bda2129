/**
 * What the Consul backends share: {@link dev.grpcscale.consul.ConsulConnection}, the settings of the
 * connection to a Consul agent, and {@link dev.grpcscale.consul.ConsulClient}, the one client of the agent's
 * HTTP API that an application's {@code ConsulServiceRegistry} (discovery) and {@code ConsulLeaderElection}
 * (cluster) share, with its typed sub-clients, typed exceptions and jittered backoff.
 */
@NullMarked
package dev.grpcscale.consul;

import org.jspecify.annotations.NullMarked;
