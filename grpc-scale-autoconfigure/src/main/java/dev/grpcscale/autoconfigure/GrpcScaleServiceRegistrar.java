package dev.grpcscale.autoconfigure;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.discovery.ServiceDefinition;

/**
 * Registers the {@code grpc.scale.services} entries with discovery once Boot's gRPC server has started
 * ({@code GrpcServerStartedEvent}) and its port is known. Without entries, one service named after
 * {@code spring.application.name} on the bound port is registered. A server without a network port (the
 * in-process test server) registers nothing. Registers once.
 */
public class GrpcScaleServiceRegistrar {

	private static final Log logger = LogFactory.getLog(GrpcScaleServiceRegistrar.class);

	private static final Set<String> WILDCARDS = Set.of("", "*", "0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0");

	private final EnhancedServiceManager manager;

	private final List<GrpcScaleProperties.Service> services;

	private final String applicationName;

	private final boolean registryAvailable;

	private final AtomicBoolean registered = new AtomicBoolean();

	/**
	 * Creates the registrar.
	 * @param manager where to register
	 * @param services the configured services
	 * @param applicationName the default service name
	 * @param registryAvailable whether discovery is enabled
	 */
	public GrpcScaleServiceRegistrar(EnhancedServiceManager manager, List<GrpcScaleProperties.Service> services,
			String applicationName, boolean registryAvailable) {
		this.manager = manager;
		this.services = services;
		this.applicationName = applicationName;
		this.registryAvailable = registryAvailable;
	}

	/**
	 * Registers the configured services for a server that has started.
	 * @param boundAddress the address the server is bound to, as the server reports it
	 * @param boundPort the port the server is bound to; {@code <= 0} registers nothing
	 */
	public void serverStarted(@Nullable String boundAddress, int boundPort) {
		if (!this.registryAvailable || boundPort <= 0 || !this.registered.compareAndSet(false, true)) {
			return;
		}
		String host = advertisedHost(boundAddress);
		if (this.services.isEmpty()) {
			register(this.applicationName, null, host, boundPort, java.util.Map.of());
			return;
		}
		for (GrpcScaleProperties.Service service : this.services) {
			if (!service.isEnabled()) {
				continue;
			}
			String name = (service.getName() != null) ? service.getName() : this.applicationName;
			register(name, service.getPackage(), host(service, host), port(service, boundPort), service.getMetadata());
		}
	}

	/**
	 * The address clients dial this application on, as {@code host:port}: that of the first service
	 * {@link #serverStarted} registers for this server (whether or not discovery is enabled), or the
	 * advertised host and bound port when every configured service is disabled.
	 * @param boundAddress the address the server is bound to, as the server reports it
	 * @param boundPort the port the server is bound to
	 * @return the address, or {@code null} if {@code boundPort <= 0} (a server without a network port)
	 */
	public @Nullable String advertisedAddress(@Nullable String boundAddress, int boundPort) {
		if (boundPort <= 0) {
			return null;
		}
		String host = advertisedHost(boundAddress);
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

	private void register(String name, @Nullable String packageName, String host, int port,
			java.util.Map<String, String> metadata) {
		ServiceDefinition.Builder definition = ServiceDefinition.builder(name).host(host).port(port).metadata(metadata);
		if (packageName != null) {
			definition.metadata("package", packageName);
		}
		this.manager.registerServiceWithDiscovery(definition.build());
	}

	/**
	 * The host to register for a server bound to {@code boundAddress}, as Boot reports it: a socket
	 * address such as {@code /127.0.0.1:9090}, {@code localhost/127.0.0.1:9090} or
	 * {@code /[0:0:0:0:0:0:0:0]:9090}, or a list of them ({@code [/127.0.0.1:9090]}), of which the first
	 * counts. A wildcard address is replaced by this machine's address.
	 */
	static String advertisedHost(@Nullable String boundAddress) {
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
		try {
			return InetAddress.getLocalHost().getHostAddress();
		}
		catch (UnknownHostException ex) {
			logger.warn("Cannot determine this host's address; registering 127.0.0.1. "
					+ "Set grpc.scale.services[*].host to the address clients should dial.");
			return "127.0.0.1";
		}
	}

}
