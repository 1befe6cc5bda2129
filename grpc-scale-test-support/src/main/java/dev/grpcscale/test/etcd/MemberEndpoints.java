package dev.grpcscale.test.etcd;

import java.nio.file.Path;

/**
 * Where one member of a test cluster listens and keeps its data, fixed for its life so that a restarted
 * member comes back on the same ports with the same data.
 *
 * @param name the member's name ({@code --name}), for example {@code m0}
 * @param scheme {@code http} or {@code https}, for the client port
 * @param clientPort the port clients dial
 * @param peerPort the port the member listens on for its peers
 * @param advertisedPeerPort the port its peers dial: a proxy's in a partitionable cluster, else {@code peerPort}
 * @param dataDir its data directory ({@code --data-dir})
 */
record MemberEndpoints(String name, String scheme, int clientPort, int peerPort, int advertisedPeerPort,
		Path dataDir) {

	String clientUrl() {
		return this.scheme + "://127.0.0.1:" + this.clientPort;
	}

	String peerUrl() {
		return "http://127.0.0.1:" + this.peerPort;
	}

	String advertisedPeerUrl() {
		return "http://127.0.0.1:" + this.advertisedPeerPort;
	}

	/** etcd's own log ({@code --log-outputs}), beside the data directory so that it outlives a wipe of it. */
	Path log() {
		return Path.of(this.dataDir + ".log");
	}

	/** What the process writes to its standard output and error, appended over restarts. */
	Path stdout() {
		return Path.of(this.dataDir + ".stdout");
	}

}
