package dev.grpcscale.test.etcd;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import dev.grpcscale.test.net.TcpProxy;

/**
 * The proxies in front of the peer ports of a cluster's members, one per member, and the cuts between
 * members made through them. etcd's peer requests name their sender ({@code X-Server-From: <member id>}), so
 * each proxy can refuse one member's connections and let the others through.
 */
final class PeerPartition implements AutoCloseable {

	private static final String SENDER_HEADER = "X-Server-From";

	private final List<TcpProxy> proxies = new ArrayList<>();

	/**
	 * Starts the proxy of the next member.
	 * @param peerPort the port the member listens on for its peers
	 * @return the port the member advertises to its peers: the proxy's
	 */
	int add(int peerPort) {
		TcpProxy proxy = TcpProxy.startHttp(new InetSocketAddress("127.0.0.1", peerPort), SENDER_HEADER);
		this.proxies.add(proxy);
		return proxy.port();
	}

	boolean isEmpty() {
		return this.proxies.isEmpty();
	}

	/**
	 * Cuts a member off from the others, both ways: every connection to its peer port is reset (only peers
	 * dial it), and the others' proxies refuse the connections it opens.
	 * @param member the member's index
	 * @param memberId its id as its peer requests name it
	 */
	void isolate(int member, String memberId) {
		for (int i = 0; i < this.proxies.size(); i++) {
			if (i == member) {
				this.proxies.get(i).drop();
			}
			else {
				this.proxies.get(i).cut(memberId);
			}
		}
	}

	/** Ends every cut. */
	void heal() {
		this.proxies.forEach(TcpProxy::heal);
	}

	@Override
	public void close() {
		this.proxies.forEach(TcpProxy::close);
	}

}
