package dev.grpcscale.test.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

/**
 * A TCP proxy on {@code 127.0.0.1} and a free port, in front of one upstream address, that can cut the
 * network between its clients and the upstream the two ways a real network fails:
 * <ul>
 * <li>{@link #drop()}: every open connection is reset (RST) and each new one is accepted and reset at
 * once, as a host that is down or a firewall that rejects; clients learn of it immediately;</li>
 * <li>{@link #blackhole()}: connections stay open, new ones are accepted, but nothing is forwarded in
 * either direction, as a partition that silently loses packets; clients hang until their own timeouts.
 * Bytes sent meanwhile are held, not lost (as TCP retransmission would deliver them), and flow on after
 * {@link #heal()} if the peers are still waiting;</li>
 * <li>{@link #heal()}: forwarding again; connections reset by {@link #drop()} stay closed, clients
 * reconnect.</li>
 * </ul>
 *
 * <p>A proxy started with {@link #startHttp(InetSocketAddress, String)} also tells connections apart by
 * sender: it reads the head of each connection's first HTTP/1.x request, takes the value of a header that
 * names the sender (etcd peers send {@code X-Server-From: <member id>}), and forwards the bytes read. Then
 * {@link #cut(String)} resets that sender's connections, open or new, while the others flow on: a
 * partition between some hosts and the upstream, not all of them.
 *
 * <pre>{@code
 * try (TcpProxy proxy = TcpProxy.start(new InetSocketAddress("127.0.0.1", etcdPort))) {
 *     Client client = Client.builder().endpoints("http://" + proxy.hostAndPort()).build();
 *     proxy.blackhole();   // client calls now time out
 *     proxy.heal();
 * }
 * }</pre>
 *
 * <p>Each connection is forwarded by two threads named {@code grpc-scale-tcp-proxy-<port>-<n>-up/down},
 * and one thread {@code grpc-scale-tcp-proxy-<port>-accept} accepts; all are daemon threads and all are
 * stopped by {@link #close()}. Meant for tests on loopback, with tens of connections, not for throughput.
 * Thread-safe.
 */
public final class TcpProxy implements AutoCloseable {

	/** What the proxy does with traffic now. */
	public enum Mode {

		/** Forwards both ways. */
		FORWARD,

		/** Resets every connection, open or new. */
		DROP,

		/** Keeps connections, forwards nothing. */
		BLACKHOLE

	}

	private static final int CONNECT_TIMEOUT_MILLIS = 2000;

	/** Bound on the head of a first request read to classify a connection. */
	private static final int MAX_REQUEST_HEAD_BYTES = 16 * 1024;

	private final InetSocketAddress upstream;

	private final @Nullable String senderHeader;

	private final Set<String> cutSenders = new HashSet<>();

	private final ServerSocket server;

	private final Thread acceptor;

	private final Set<Connection> connections = ConcurrentHashMap.newKeySet();

	private final AtomicInteger accepted = new AtomicInteger();

	private final Object lock = new Object();

	private volatile Mode mode = Mode.FORWARD;

	private volatile boolean closed;

	private TcpProxy(InetSocketAddress upstream, @Nullable String senderHeader) throws IOException {
		this.upstream = upstream;
		this.senderHeader = senderHeader;
		this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		this.acceptor = new Thread(this::acceptLoop, threadName("accept"));
		this.acceptor.setDaemon(true);
	}

	/**
	 * Starts a proxy in front of {@code upstream}, forwarding.
	 * @param upstream where connections go; it need not be listening yet (a connection it refuses is reset)
	 * @return the running proxy; see {@link #port()}
	 * @throws UncheckedIOException if no local port can be bound
	 */
	public static TcpProxy start(InetSocketAddress upstream) {
		return start(upstream, null);
	}

	/**
	 * Starts a proxy in front of an HTTP/1.x {@code upstream} that classifies each connection by the value
	 * of {@code senderHeader} in its first request, for {@link #cut(String)}. A connection whose first
	 * request lacks the header is classified as {@code ""}.
	 * @param upstream where connections go
	 * @param senderHeader the request header naming the sender, for example {@code X-Server-From}
	 * @return the running proxy
	 * @throws IllegalArgumentException if the header name is blank
	 */
	public static TcpProxy startHttp(InetSocketAddress upstream, String senderHeader) {
		Objects.requireNonNull(senderHeader, "senderHeader");
		if (senderHeader.isBlank()) {
			throw new IllegalArgumentException("senderHeader: '' (expected: an HTTP header name)");
		}
		return start(upstream, senderHeader);
	}

	private static TcpProxy start(InetSocketAddress upstream, @Nullable String senderHeader) {
		Objects.requireNonNull(upstream, "upstream");
		try {
			TcpProxy proxy = new TcpProxy(upstream, senderHeader);
			proxy.acceptor.start();
			return proxy;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not bind a loopback port for a proxy to " + upstream, ex);
		}
	}

	/**
	 * Starts a proxy in front of {@code host:port}.
	 * @param host the upstream host, for example {@code 127.0.0.1}
	 * @param port the upstream port
	 * @return the running proxy
	 * @throws IllegalArgumentException if the port is out of range
	 */
	public static TcpProxy start(String host, int port) {
		if (port < 1 || port > 65535) {
			throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
		}
		return start(new InetSocketAddress(host, port));
	}

	/** The local port clients connect to. */
	public int port() {
		return this.server.getLocalPort();
	}

	/** {@code 127.0.0.1:<port>}, for building client URLs. */
	public String hostAndPort() {
		return this.server.getInetAddress().getHostAddress() + ":" + port();
	}

	/** The upstream address. */
	public InetSocketAddress upstream() {
		return this.upstream;
	}

	/** What the proxy does now. */
	public Mode mode() {
		return this.mode;
	}

	/** Connections accepted since start, including those reset at once while dropping. */
	public int acceptedConnections() {
		return this.accepted.get();
	}

	/** Connections open now (both sides). */
	public int openConnections() {
		return this.connections.size();
	}

	/**
	 * Open connections classified as coming from {@code sender}; see {@link #startHttp(InetSocketAddress, String)}.
	 */
	public int openConnectionsFrom(String sender) {
		return (int) this.connections.stream().filter((connection) -> sender.equals(connection.sender)).count();
	}

	/**
	 * Resets the open connections of {@code sender} and, until {@link #heal()}, each new connection once its
	 * first request names that sender. Other senders' connections are untouched.
	 * @param sender the value of the sender header, for example an etcd member id in hex
	 * @throws IllegalStateException if the proxy is closed or was not started with
	 * {@link #startHttp(InetSocketAddress, String)}
	 */
	public void cut(String sender) {
		Objects.requireNonNull(sender, "sender");
		if (this.senderHeader == null) {
			throw new IllegalStateException("proxy to " + this.upstream + " does not classify senders; use startHttp");
		}
		if (this.closed) {
			throw new IllegalStateException("proxy to " + this.upstream + " is closed");
		}
		List<Connection> cut = new ArrayList<>();
		synchronized (this.lock) {
			this.cutSenders.add(sender);
			for (Connection connection : this.connections) {
				if (sender.equals(connection.sender)) {
					cut.add(connection);
				}
			}
		}
		cut.forEach(Connection::reset);
	}

	/**
	 * Resets every open connection and, until {@link #heal()}, every new one.
	 * @throws IllegalStateException if the proxy is closed
	 */
	public void drop() {
		setMode(Mode.DROP);
		for (Connection connection : List.copyOf(this.connections)) {
			connection.reset();
		}
	}

	/**
	 * Stops forwarding in both directions, keeping connections open, until {@link #heal()}.
	 * @throws IllegalStateException if the proxy is closed
	 */
	public void blackhole() {
		setMode(Mode.BLACKHOLE);
	}

	/**
	 * Forwards again: held bytes flow on, new connections reach the upstream, senders cut by
	 * {@link #cut(String)} connect again.
	 * @throws IllegalStateException if the proxy is closed
	 */
	public void heal() {
		synchronized (this.lock) {
			this.cutSenders.clear();
		}
		setMode(Mode.FORWARD);
	}

	private void setMode(Mode mode) {
		if (this.closed) {
			throw new IllegalStateException("proxy to " + this.upstream + " is closed");
		}
		synchronized (this.lock) {
			this.mode = mode;
			this.lock.notifyAll();
		}
	}

	/** Stops accepting, resets every connection and waits for every thread of the proxy to end. Idempotent. */
	@Override
	public void close() {
		this.closed = true;
		closeQuietly(this.server);
		List<Thread> threads = new ArrayList<>();
		threads.add(this.acceptor);
		for (Connection connection : List.copyOf(this.connections)) {
			connection.reset();
			threads.add(connection.up);
			threads.add(connection.down);
		}
		synchronized (this.lock) {
			this.lock.notifyAll();
		}
		for (Thread thread : threads) {
			if (thread != Thread.currentThread()) {
				try {
					thread.join(5000);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}
	}

	@Override
	public String toString() {
		return "TcpProxy[" + hostAndPort() + " -> " + this.upstream.getHostString() + ":" + this.upstream.getPort()
				+ ", " + this.mode + "]";
	}

	private void acceptLoop() {
		int sequence = 0;
		while (!this.closed) {
			Socket client;
			try {
				client = this.server.accept();
			}
			catch (IOException ex) {
				// closed
				return;
			}
			this.accepted.incrementAndGet();
			if (this.mode == Mode.DROP || this.closed) {
				resetQuietly(client);
				continue;
			}
			Socket upstreamSocket = new Socket();
			try {
				client.setTcpNoDelay(true);
				upstreamSocket.setTcpNoDelay(true);
				upstreamSocket.connect(this.upstream, CONNECT_TIMEOUT_MILLIS);
			}
			catch (IOException ex) {
				resetQuietly(client);
				closeQuietly(upstreamSocket);
				continue;
			}
			Connection connection = new Connection(client, upstreamSocket, sequence++);
			this.connections.add(connection);
			if (this.mode == Mode.DROP || this.closed) {
				// drop() ran while this connection was being set up
				connection.reset();
			}
			connection.up.start();
			connection.down.start();
		}
	}

	/** Blocks while black-holed; false once the connection is closed. */
	private boolean awaitForwarding(Connection connection) throws InterruptedException {
		synchronized (this.lock) {
			while (this.mode == Mode.BLACKHOLE && !connection.closed && !this.closed) {
				this.lock.wait();
			}
			return !connection.closed && !this.closed && this.mode == Mode.FORWARD;
		}
	}

	private String threadName(String suffix) {
		return "grpc-scale-tcp-proxy-" + port() + "-" + suffix;
	}

	private static void resetQuietly(Socket socket) {
		try {
			socket.setSoLinger(true, 0);
		}
		catch (SocketException ex) {
			// already closed
		}
		closeQuietly(socket);
	}

	private static void closeQuietly(AutoCloseable closeable) {
		try {
			closeable.close();
		}
		catch (Exception ex) {
			// closing anyway
		}
	}

	/**
	 * Reads up to the end of the head of an HTTP request (an empty line), or what came before the stream
	 * ended or {@link #MAX_REQUEST_HEAD_BYTES} were read. The bytes may include the start of a body.
	 */
	private static byte[] readRequestHead(InputStream in) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		byte[] buffer = new byte[4096];
		while (head.size() < MAX_REQUEST_HEAD_BYTES) {
			int read = in.read(buffer);
			if (read < 0) {
				break;
			}
			head.write(buffer, 0, read);
			if (head.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
				break;
			}
		}
		return head.toByteArray();
	}

	/** The value of {@code header} in a request head, or {@code ""} when it has none. */
	static String senderOf(byte[] head, String header) {
		String text = head.length == 0 ? "" : new String(head, StandardCharsets.ISO_8859_1);
		int end = text.indexOf("\r\n\r\n");
		String[] lines = ((end >= 0) ? text.substring(0, end) : text).split("\r\n");
		String wanted = header.toLowerCase(Locale.ROOT) + ":";
		for (int i = 1; i < lines.length; i++) {
			if (lines[i].toLowerCase(Locale.ROOT).startsWith(wanted)) {
				return lines[i].substring(wanted.length()).trim();
			}
		}
		return "";
	}

	/** One client connection and its upstream connection, pumped by two threads. */
	private final class Connection {

		final Socket client;

		final Socket upstreamSocket;

		final Thread up;

		final Thread down;

		volatile boolean closed;

		/** The sender named by the first request, once read; only for a proxy that classifies. */
		volatile @Nullable String sender;

		private final AtomicInteger finished = new AtomicInteger();

		Connection(Socket client, Socket upstreamSocket, int sequence) {
			this.client = client;
			this.upstreamSocket = upstreamSocket;
			this.up = new Thread(this::pumpUp, threadName(sequence + "-up"));
			this.down = new Thread(() -> pump(upstreamSocket, client, new byte[0]), threadName(sequence + "-down"));
			this.up.setDaemon(true);
			this.down.setDaemon(true);
		}

		/** Client to upstream: classifies the connection first when the proxy tells senders apart. */
		private void pumpUp() {
			if (TcpProxy.this.senderHeader == null) {
				pump(this.client, this.upstreamSocket, new byte[0]);
				return;
			}
			byte[] head;
			try {
				head = readRequestHead(this.client.getInputStream());
			}
			catch (IOException ex) {
				reset();
				return;
			}
			boolean refused;
			synchronized (TcpProxy.this.lock) {
				this.sender = senderOf(head, TcpProxy.this.senderHeader);
				refused = TcpProxy.this.cutSenders.contains(this.sender);
			}
			if (refused) {
				reset();
				return;
			}
			pump(this.client, this.upstreamSocket, head);
		}

		private void pump(Socket from, Socket to, byte[] alreadyRead) {
			byte[] buffer = new byte[16 * 1024];
			try {
				InputStream in = from.getInputStream();
				OutputStream out = to.getOutputStream();
				if (alreadyRead.length > 0) {
					if (!awaitForwarding(this)) {
						reset();
						return;
					}
					out.write(alreadyRead);
					out.flush();
				}
				while (true) {
					int read = in.read(buffer);
					if (!awaitForwarding(this)) {
						reset();
						return;
					}
					if (read < 0) {
						to.shutdownOutput();
						break;
					}
					out.write(buffer, 0, read);
					out.flush();
				}
				if (this.finished.incrementAndGet() == 2) {
					close();
				}
			}
			catch (IOException ex) {
				// one side reset or closed: so is the other
				reset();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				reset();
			}
		}

		void reset() {
			synchronized (TcpProxy.this.lock) {
				this.closed = true;
				TcpProxy.this.lock.notifyAll();
			}
			resetQuietly(this.client);
			resetQuietly(this.upstreamSocket);
			TcpProxy.this.connections.remove(this);
		}

		private void close() {
			this.closed = true;
			closeQuietly(this.client);
			closeQuietly(this.upstreamSocket);
			TcpProxy.this.connections.remove(this);
		}

	}

}
