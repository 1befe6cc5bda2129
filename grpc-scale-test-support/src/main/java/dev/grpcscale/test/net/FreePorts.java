package dev.grpcscale.test.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for servers that other processes must be told about before they start (Raft peers,
 * etcd members): taken below the kernel's ephemeral range, so an outgoing connection (which takes its local
 * port from that range) cannot occupy one between the moment it is chosen and the moment the server binds it.
 * A port is handed out once per JVM.
 */
public final class FreePorts {

	private static final Set<Integer> handedOut = ConcurrentHashMap.newKeySet();

	private FreePorts() {
	}

	/**
	 * A port that was free on 127.0.0.1 just now, outside the ephemeral range.
	 * @return the port
	 */
	public static int next() {
		int high = Math.max(ephemeralLow(), 20000);
		for (int attempt = 0; attempt < 1000; attempt++) {
			int port = ThreadLocalRandom.current().nextInt(10000, high);
			if (handedOut.contains(port)) {
				continue;
			}
			try (ServerSocket socket = new ServerSocket()) {
				socket.setReuseAddress(false);
				socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
			}
			catch (IOException ex) {
				continue;
			}
			if (handedOut.add(port)) {
				return port;
			}
		}
		throw new IllegalStateException("no free port below the ephemeral range");
	}

	private static int ephemeralLow() {
		try {
			String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"), StandardCharsets.US_ASCII);
			return Integer.parseInt(range.trim().split("\\s+")[0]);
		}
		catch (IOException | RuntimeException ex) {
			return 32768;
		}
	}

}
