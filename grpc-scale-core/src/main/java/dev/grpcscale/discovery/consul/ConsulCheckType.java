package dev.grpcscale.discovery.consul;

/**
 * The kind of health check {@link ConsulServiceRegistry} registers with each instance.
 *
 * <p>Consul returns only instances whose checks pass, so the check decides when an instance receives
 * traffic and, through {@code DeregisterCriticalServiceAfter}, when a crashed instance is removed.
 */
public enum ConsulCheckType {

	/**
	 * Consul calls the instance's own {@code grpc.health.v1.Health/Check} (overall server health) at
	 * {@code host:port} every check interval. The agent must be able to reach that address.
	 */
	GRPC,

	/**
	 * The registry itself reports the instance healthy: the check's TTL is the check interval and the
	 * registry sends {@code PUT /v1/agent/check/pass/<checkId>} every TTL/3. An instance whose process
	 * stops passing turns critical after the TTL. Use it when the agent cannot reach the instance.
	 */
	TTL

}
