package dev.grpcscale.examples.demo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free TCP ports on 127.0.0.1 for the processes the demo starts. */
final class FreePorts {

	private FreePorts() {
	}

	/** A port nothing listens on now (the caller binds it soon after). */
	static int next() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
	}

}
