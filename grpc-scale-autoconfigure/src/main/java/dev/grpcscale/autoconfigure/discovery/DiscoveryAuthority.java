package dev.grpcscale.autoconfigure.discovery;

import java.util.Map;

import dev.grpcscale.discovery.ServiceInstance;

/**
 * The authority (TLS server name) of the connections to a discovered instance, from
 * {@code grpc.scale.service-discovery.authority.<service>}: the service name by default, a fixed name, or
 * ({@value #INSTANCE_HOST}) the instance's registered host. Calls and health probes use the same rule.
 */
public final class DiscoveryAuthority {

	/** The value that makes each instance's registered host its authority. */
	public static final String INSTANCE_HOST = "host";

	private DiscoveryAuthority() {
	}

	/**
	 * The authority of the connections to an instance.
	 * @param authorities {@code grpc.scale.service-discovery.authority}, by service
	 * @param instance the instance
	 * @return the name its certificate is checked against
	 */
	public static String of(Map<String, String> authorities, ServiceInstance instance) {
		String configured = authorities.get(instance.serviceName());
		if (configured == null) {
			return instance.serviceName();
		}
		return INSTANCE_HOST.equals(configured) ? instance.host() : configured;
	}

}
