package dev.grpcscale.cluster.raft;

import java.util.Objects;

import dev.grpcscale.discovery.ServiceInstance;

/**
 * One member of a Raft group: its node id and the {@code host:port} its Raft server listens on for the other
 * members' traffic (not the application's gRPC port).
 *
 * <pre>{@code
 * RaftNode node = RaftNode.parse("orders-1=10.0.0.7:9871");
 * }</pre>
 *
 * @param nodeId the node id: letters, digits, {@code .}, {@code _}, {@code -}
 * @param host the host name or IP literal the other members reach this node's Raft server on
 * @param port the Raft port, 1 to 65535
 */
public record RaftNode(String nodeId, String host, int port) {

	/**
	 * Checks the arguments.
	 * @throws IllegalArgumentException if the id, host or port is invalid
	 */
	public RaftNode {
		ServiceInstance.checkName("nodeId", nodeId);
		Objects.requireNonNull(host, "host");
		if (host.isBlank() || host.chars().anyMatch(Character::isWhitespace)) {
			throw new IllegalArgumentException("host: '" + host + "' (expected: a host name or IP literal)");
		}
		if (port < 1 || port > 65535) {
			throw new IllegalArgumentException("port: " + port + " (expected: 1 to 65535)");
		}
	}

	/**
	 * A node from its id and {@code host:port} ({@code [v6]:port} for an IPv6 literal).
	 * @param nodeId the node id
	 * @param address {@code host:port}
	 * @return the node
	 * @throws IllegalArgumentException if the id or address is invalid
	 */
	public static RaftNode of(String nodeId, String address) {
		Objects.requireNonNull(address, "address");
		int colon = address.lastIndexOf(':');
		if (colon <= 0 || colon == address.length() - 1) {
			throw new IllegalArgumentException("address: '" + address + "' (expected: host:port)");
		}
		String host = address.substring(0, colon);
		if (host.startsWith("[") && host.endsWith("]")) {
			host = host.substring(1, host.length() - 1);
		}
		int port;
		try {
			port = Integer.parseInt(address.substring(colon + 1));
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException("address: '" + address + "' (expected: host:port)");
		}
		return new RaftNode(nodeId, host, port);
	}

	/**
	 * A node from {@code id=host:port}.
	 * @param entry the entry
	 * @return the node
	 * @throws IllegalArgumentException if the entry is not {@code id=host:port}
	 */
	public static RaftNode parse(String entry) {
		Objects.requireNonNull(entry, "entry");
		int equals = entry.indexOf('=');
		if (equals <= 0) {
			throw new IllegalArgumentException("node: '" + entry + "' (expected: id=host:port)");
		}
		return of(entry.substring(0, equals).trim(), entry.substring(equals + 1).trim());
	}

	/** {@code host:port}, with brackets around an IPv6 literal. */
	public String address() {
		return ((this.host.indexOf(':') >= 0) ? "[" + this.host + "]" : this.host) + ":" + this.port;
	}

	@Override
	public String toString() {
		return this.nodeId + "=" + address();
	}

}
