package dev.grpcscale.test.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

class TcpProxyTests {

	private ServerSocket echoServer;

	private Thread echoAcceptor;

	private final List<Socket> clients = new ArrayList<>();

	private TcpProxy proxy;

	@BeforeEach
	void startEchoServer() throws IOException {
		this.echoServer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		this.echoAcceptor = new Thread(this::echo, "test-echo-accept");
		this.echoAcceptor.setDaemon(true);
		this.echoAcceptor.start();
		this.proxy = TcpProxy.start("127.0.0.1", this.echoServer.getLocalPort());
	}

	@AfterEach
	void stopEverything() throws Exception {
		this.proxy.close();
		for (Socket client : this.clients) {
			client.close();
		}
		this.echoServer.close();
		this.echoAcceptor.join(5000);
	}

	@Test
	void forwardsBytesBothWays() throws IOException {
		Socket client = connect();
		send(client, "hello");
		assertThat(receive(client, 5)).isEqualTo("hello");
		assertThat(this.proxy.hostAndPort()).isEqualTo("127.0.0.1:" + this.proxy.port());
		assertThat(this.proxy.openConnections()).isEqualTo(1);
		assertThat(this.proxy.mode()).isEqualTo(TcpProxy.Mode.FORWARD);
	}

	@Test
	void dropResetsOpenConnectionsAndEveryNewOneUntilHealed() throws IOException {
		Socket open = connect();
		send(open, "a");
		assertThat(receive(open, 1)).isEqualTo("a");
		this.proxy.drop();
		assertThat(readFails(open)).isTrue();
		assertThat(this.proxy.openConnections()).isZero();
		Socket refused = connect();
		assertThat(readFails(refused)).isTrue();
		this.proxy.heal();
		Socket healed = connect();
		send(healed, "back");
		assertThat(receive(healed, 4)).isEqualTo("back");
	}

	@Test
	void blackholeForwardsNothingUntilHealedAndLosesNoByte() throws IOException {
		Socket open = connect();
		send(open, "x");
		assertThat(receive(open, 1)).isEqualTo("x");
		this.proxy.blackhole();
		send(open, "held");
		Socket late = connect();
		send(late, "late");
		open.setSoTimeout(300);
		late.setSoTimeout(300);
		assertThatExceptionOfType(SocketTimeoutException.class).isThrownBy(() -> open.getInputStream().read());
		assertThatExceptionOfType(SocketTimeoutException.class).isThrownBy(() -> late.getInputStream().read());
		assertThat(this.proxy.openConnections()).isEqualTo(2);
		this.proxy.heal();
		open.setSoTimeout(5000);
		late.setSoTimeout(5000);
		assertThat(receive(open, 4)).isEqualTo("held");
		assertThat(receive(late, 4)).isEqualTo("late");
	}

	@Test
	void dropWhileBlackholedResetsTheHeldConnections() throws IOException {
		Socket open = connect();
		this.proxy.blackhole();
		send(open, "held");
		this.proxy.drop();
		assertThat(readFails(open)).isTrue();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.proxy.openConnections() == 0);
	}

	@Test
	void connectionToAnUpstreamThatIsNotListeningIsReset() throws IOException {
		int closedPort;
		try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			closedPort = unused.getLocalPort();
		}
		try (TcpProxy nowhere = TcpProxy.start("127.0.0.1", closedPort)) {
			Socket client = new Socket(InetAddress.getLoopbackAddress(), nowhere.port());
			this.clients.add(client);
			assertThat(readFails(client)).isTrue();
			assertThat(nowhere.acceptedConnections()).isEqualTo(1);
		}
	}

	@Test
	void closeStopsEveryThreadOfTheProxyAndRefusesConnections() throws IOException {
		Socket client = connect();
		send(client, "y");
		assertThat(receive(client, 1)).isEqualTo("y");
		String prefix = "grpc-scale-tcp-proxy-" + this.proxy.port() + "-";
		assertThat(threadsNamed(prefix)).hasSize(3);
		this.proxy.close();
		assertThat(threadsNamed(prefix)).isEmpty();
		assertThat(readFails(client)).isTrue();
		assertThatExceptionOfType(IOException.class)
			.isThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), this.proxy.port()).close());
		assertThatIllegalStateException().isThrownBy(this.proxy::heal).withMessageContaining("closed");
		this.proxy.close();
	}

	@Test
	void cutResetsOneSendersConnectionsOpenAndNewWhileOtherSendersFlowUntilHealed() throws IOException {
		try (TcpProxy http = TcpProxy.startHttp(new InetSocketAddress("127.0.0.1", this.echoServer.getLocalPort()),
				"X-Server-From")) {
			Socket fromA = connect(http);
			Socket fromB = connect(http);
			String requestA = request("a");
			String requestB = request("b");
			send(fromA, requestA);
			send(fromB, requestB);
			assertThat(receive(fromA, requestA.length())).isEqualTo(requestA);
			assertThat(receive(fromB, requestB.length())).isEqualTo(requestB);
			assertThat(http.openConnectionsFrom("a")).isEqualTo(1);

			http.cut("a");
			assertThat(readFails(fromA)).isTrue();
			Socket againFromA = connect(http);
			send(againFromA, requestA);
			assertThat(readFails(againFromA)).isTrue();
			send(fromB, "more");
			assertThat(receive(fromB, 4)).isEqualTo("more");
			Socket newFromB = connect(http);
			send(newFromB, requestB);
			assertThat(receive(newFromB, requestB.length())).isEqualTo(requestB);
			assertThat(http.openConnectionsFrom("a")).isZero();

			http.heal();
			Socket healed = connect(http);
			send(healed, requestA);
			assertThat(receive(healed, requestA.length())).isEqualTo(requestA);
		}
	}

	@Test
	void aConnectionWhoseFirstRequestNamesNoSenderIsClassifiedAsEmpty() {
		byte[] head = "POST /leases HTTP/1.1\r\nHost: x\r\n\r\n{}".getBytes(StandardCharsets.ISO_8859_1);
		byte[] named = "GET /raft/stream/message/1 HTTP/1.1\r\nx-server-from:  8e9e05c52164694d \r\n\r\n"
			.getBytes(StandardCharsets.ISO_8859_1);
		assertThat(TcpProxy.senderOf(head, "X-Server-From")).isEmpty();
		assertThat(TcpProxy.senderOf(named, "X-Server-From")).isEqualTo("8e9e05c52164694d");
	}

	@Test
	void cutNeedsAProxyThatClassifiesSenders() {
		assertThatIllegalStateException().isThrownBy(() -> this.proxy.cut("a")).withMessageContaining("startHttp");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> TcpProxy.startHttp(new InetSocketAddress("127.0.0.1", 1), " "))
			.withMessage("senderHeader: '' (expected: an HTTP header name)");
	}

	@Test
	void rejectsAnInvalidUpstreamPort() {
		assertThatIllegalArgumentException().isThrownBy(() -> TcpProxy.start("127.0.0.1", 0))
			.withMessage("port: 0 (expected: 1-65535)");
	}

	private Socket connect() throws IOException {
		return connect(this.proxy);
	}

	private Socket connect(TcpProxy target) throws IOException {
		Socket socket = new Socket(InetAddress.getLoopbackAddress(), target.port());
		socket.setSoTimeout(5000);
		this.clients.add(socket);
		return socket;
	}

	private static String request(String sender) {
		return "GET /raft/stream/message/1 HTTP/1.1\r\nHost: peer\r\nX-Server-From: " + sender + "\r\n\r\n";
	}

	private static void send(Socket socket, String text) throws IOException {
		OutputStream out = socket.getOutputStream();
		out.write(text.getBytes(StandardCharsets.UTF_8));
		out.flush();
	}

	private static String receive(Socket socket, int length) throws IOException {
		byte[] bytes = socket.getInputStream().readNBytes(length);
		return new String(bytes, StandardCharsets.UTF_8);
	}

	/** True when the connection ends (EOF or reset) within the socket's timeout. */
	private static boolean readFails(Socket socket) throws IOException {
		socket.setSoTimeout(5000);
		try {
			return socket.getInputStream().read() < 0;
		}
		catch (SocketTimeoutException ex) {
			return false;
		}
		catch (IOException ex) {
			return true;
		}
	}

	private static List<String> threadsNamed(String prefix) {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter(Thread::isAlive)
			.map(Thread::getName)
			.filter((name) -> name.startsWith(prefix))
			.toList();
	}

	private void echo() {
		while (true) {
			Socket socket;
			try {
				socket = this.echoServer.accept();
			}
			catch (IOException ex) {
				return;
			}
			Thread thread = new Thread(() -> {
				try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
					in.transferTo(out);
				}
				catch (IOException ex) {
					// the proxy reset it
				}
			}, "test-echo");
			thread.setDaemon(true);
			thread.start();
		}
	}

}
