package dev.grpcscale.discovery;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One running instance of a service as discovery knows it.
 *
 * <p>Service names and instance ids may hold letters, digits, {@code .}, {@code _} and {@code -} (they
 * become path segments in backends such as etcd). The port is the one clients dial, 1 to 65535.
 *
 * @param serviceName logical service name, for example {@code product-service}
 * @param instanceId id unique within the service
 * @param host host name or IP address clients dial
 * @param port port clients dial
 * @param metadata free-form string metadata (version, zone, gRPC package...), never {@code null}
 * @param status whether the instance should receive traffic
 * @param registrationTime when the instance was registered
 */
public record ServiceInstance(String serviceName, String instanceId, String host, int port,
		Map<String, String> metadata, InstanceStatus status, Instant registrationTime) {

	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

	/**
	 * Validates and copies the arguments.
	 * @throws IllegalArgumentException if a name, the host or the port is invalid
	 */
	public ServiceInstance {
		checkName("serviceName", serviceName);
		checkName("instanceId", instanceId);
		Objects.requireNonNull(host, "host");
		if (host.isBlank()) {
			throw new IllegalArgumentException("host: '' (expected: a host name or IP address)");
		}
		if (port < 1 || port > 65535) {
			throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
		}
		metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata"));
		Objects.requireNonNull(status, "status");
		Objects.requireNonNull(registrationTime, "registrationTime");
	}

	/**
	 * Checks a service name or instance id.
	 * @param what the name of the argument, used in the message
	 * @param value the value to check
	 * @throws IllegalArgumentException if the value is blank or holds other characters than letters,
	 * digits, {@code .}, {@code _} and {@code -}
	 */
	public static void checkName(String what, String value) {
		Objects.requireNonNull(value, what);
		if (!NAME.matcher(value).matches()) {
			throw new IllegalArgumentException(
					what + ": '" + value + "' (expected: letters, digits, '.', '_' or '-', not empty)");
		}
	}

	/** Returns {@code host:port}, with brackets around an IPv6 literal. */
	public String address() {
		return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
	}

	/** Returns a copy with the given status. */
	public ServiceInstance withStatus(InstanceStatus newStatus) {
		return new ServiceInstance(serviceName, instanceId, host, port, metadata, newStatus, registrationTime);
	}

	/** Whether this instance should receive traffic. */
	public boolean isUp() {
		return status == InstanceStatus.UP;
	}

}
