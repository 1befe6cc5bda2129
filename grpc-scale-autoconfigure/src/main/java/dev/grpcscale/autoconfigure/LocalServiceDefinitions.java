package dev.grpcscale.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.discovery.ServiceDefinition;

/**
 * The registrations this application's gRPC server stands for, from {@code grpc.scale.services}: once the
 * server has started and its port is known, one {@link ServiceDefinition} per enabled entry, or, without
 * entries, one service named after {@code spring.application.name} on the bound port. A server without a
 * network port (the in-process one) stands for none. Instance ids are chosen once, so an instance that
 * stops and starts again registers under the same ids.
 */
final class LocalServiceDefinitions {

	private static final Log logger = LogFactory.getLog(LocalServiceDefinitions.class);

	private static final Set<String> WILDCARDS = Set.of("", "*", "0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0");

	private final List<GrpcScaleProperties.Service> services;

	private final String applicationName;

	private final Supplier<Optional<String>> machineAddress;

	private final Map<String, String> instanceIds = new ConcurrentHashMap<>();

	/**
	 * Creates the definitions.
	 * @param services the configured services
	 * @param applicationName the default service name
	 */
	LocalServiceDefinitions(List<GrpcScaleProperties.Service> services, String applicationName) {
		this(services, applicationName, LocalNetworkAddress::ofThisMachine);
	}

	/**
	 * Creates the definitions with the source of this machine's routable address.
	 * @param services the configured services
	 * @param applicationName the default service name
	 * @param machineAddress this machine's routable address for a wildcard bind, empty when it has none
	 */
	LocalServiceDefinitions(List<GrpcScaleProperties.Service> services, String applicationName,
			Supplier<Optional<String>> machineAddress) {
		this.services = List.copyOf(services);
		this.applicationName = applicationName;
		this.machineAddress = machineAddress;
	}

	/**
	 * The registrations for a server that has started.
	 * @param boundAddress the address the server is bound to, as the server reports it
	 * @param boundPort the port the server is bound to; {@code <= 0} stands for none
	 * @return the definitions, in the order of {@code grpc.scale.services}
	 */
	List<ServiceDefinition> forServer(@Nullable String boundAddress, int boundPort) {
		if (boundPort <= 0) {
			return List.of();
		}
		String host = advertisedHost(boundAddress, this.machineAddress);
		if (this.services.isEmpty()) {
			return List.of(definition(this.applicationName, null, host, boundPort, Map.of()));
		}
		List<ServiceDefinition> definitions = new ArrayList<>();
		for (GrpcScaleProperties.Service service : this.services) {
			if (service.isEnabled()) {
				String name = (service.getName() != null) ? service.getName() : this.applicationName;
				definitions.add(definition(name, service.getPackage(), host(service, host), port(service, boundPort),
						service.getMetadata()));
			}
		}
		return definitions;
	}

	/** The names of the configured, enabled services, for messages. */
	List<String> configuredNames() {
		return this.services.stream()
			.filter(GrpcScaleProperties.Service::isEnabled)
			.map((service) -> (service.getName() != null) ? service.getName() : this.applicationName)
			.toList();
	}

	/**
	 * The address clients dial this application on, as {@code host:port}: that of the first enabled
	 * service, or the advertised host and bound port when every configured service is disabled.
	 * @param boundAddress the address the server is bound to, as the server reports it
	 * @param boundPort the port the server is bound to
	 * @return the address, or {@code null} if {@code boundPort <= 0} (a server without a network port)
	 */
	@Nullable String advertisedAddress(@Nullable String boundAddress, int boundPort) {
		if (boundPort <= 0) {
			return null;
		}
		String host = advertisedHost(boundAddress, this.machineAddress);
		for (GrpcScaleProperties.Service service : this.services) {
			if (service.isEnabled()) {
				return hostAndPort(host(service, host), port(service, boundPort));
			}
		}
		return hostAndPort(host, boundPort);
	}

	private static String host(GrpcScaleProperties.Service service, String advertisedHost) {
		return (service.getHost() != null) ? service.getHost() : advertisedHost;
	}

	private static int port(GrpcScaleProperties.Service service, int boundPort) {
		return (service.getPort() > 0) ? service.getPort() : boundPort;
	}

	private static String hostAndPort(String host, int port) {
		return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
	}

	private ServiceDefinition definition(String name, @Nullable String packageName, String host, int port,
			Map<String, String> metadata) {
		String instanceId = this.instanceIds.computeIfAbsent(name + '@' + host + ':' + port,
				(key) -> UUID.randomUUID().toString());
		ServiceDefinition.Builder definition = ServiceDefinition.builder(name)
			.instanceId(instanceId)
			.host(host)
			.port(port)
			.metadata(metadata);
		if (packageName != null) {
			definition.metadata("package", packageName);
		}
		return definition.build();
	}

	/**
	 * The host to register for a server bound to {@code boundAddress}, as Boot reports it: a socket
	 * address such as {@code /127.0.0.1:9090}, {@code localhost/127.0.0.1:9090} or
	 * {@code /[0:0:0:0:0:0:0:0]:9090}, or a list of them ({@code [/127.0.0.1:9090]}), of which the first
	 * counts. A wildcard address (or none) is replaced by this machine's routable address
	 * ({@link LocalNetworkAddress}), or {@code 127.0.0.1} with a warning when it has none.
	 */
	static String advertisedHost(@Nullable String boundAddress, Supplier<Optional<String>> machineAddress) {
		String address = (boundAddress != null) ? boundAddress.trim() : "";
		if (address.startsWith("[") && address.endsWith("]") && address.contains("/")) {
			address = address.substring(1, address.length() - 1).split(",")[0].trim();
		}
		int slash = address.lastIndexOf('/');
		if (slash >= 0) {
			address = address.substring(slash + 1);
		}
		int colon = address.lastIndexOf(':');
		boolean bracketed = address.startsWith("[");
		if (colon > 0 && (bracketed ? address.charAt(colon - 1) == ']' : address.indexOf(':') == colon)
				&& address.substring(colon + 1).chars().allMatch(Character::isDigit)) {
			address = address.substring(0, colon);
		}
		if (address.startsWith("[") && address.endsWith("]")) {
			address = address.substring(1, address.length() - 1);
		}
		if (!WILDCARDS.contains(address)) {
			return address;
		}
		Optional<String> routable = machineAddress.get();
		if (routable.isPresent()) {
			return routable.get();
		}
		logger.warn("The gRPC server is bound to a wildcard address and this machine has no network address but "
				+ "loopback; registering 127.0.0.1, which only this machine can dial. "
				+ "Set grpc.scale.services[*].host to the address clients should dial.");
		return "127.0.0.1";
	}

}
