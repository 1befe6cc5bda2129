package dev.grpcscale.test.etcd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.test.net.FreePorts;
import dev.grpcscale.test.net.TcpProxy;
import dev.grpcscale.test.tls.TestCertificates;

/**
 * Real etcd for tests: a single node or a cluster of members on free loopback ports, each a process
 * started from the {@code etcd} binary with a temporary data directory.
 *
 * <pre>{@code
 * try (EtcdCluster etcd = EtcdCluster.start(3)) {
 *     Client client = Client.builder().endpoints(etcd.clientEndpoints().toArray(String[]::new)).build();
 *     etcd.kill(0);      // kill -9 of member 0
 *     etcd.restart(0);   // same data directory and ports
 *     etcd.kill(1); etcd.kill(2);   // quorum lost
 *     etcd.restart(1, 2);           // and regained
 *     etcd.isolate(0);   // member 0 runs, but neither reaches its peers nor they it
 *     etcd.healPartition();
 * }
 * }</pre>
 *
 * <p>In a cluster started by {@link #startPartitionable}, every member's peer URL is a {@link TcpProxy} in
 * front of its peer port that tells the sending member apart (etcd's peer requests carry
 * {@code X-Server-From: <member id>}), so {@link #isolate(int)} can cut one member off from its peers while
 * they keep their quorum.
 *
 * <p>{@link #startSingleTls(ServerTls)} serves the client port over TLS with a certificate that
 * {@link ServerTls#generate(Path)} creates with the JDK's keytool ({@link TestCertificates}); with
 * {@link ServerTls#generateWithClientCertAuth(Path)} it also requires client certificates.
 *
 * <p>The binary is {@code $ETCD_BIN}, else {@code etcd} on the {@code PATH}. When it is missing the
 * calling test is aborted (reported skipped), except with {@code CI=true}, where it fails: CI must never
 * pass quietly without etcd. Members are killed and their directories deleted on {@link #close()} and,
 * as a last resort, when the JVM exits.
 */
public final class EtcdCluster implements AutoCloseable {

	/** The raft heartbeat interval members run with unless started with other timings (etcd's default: 100 ms). */
	public static final Duration TEST_HEARTBEAT_INTERVAL = Duration.ofMillis(50);

	/** The raft election timeout members run with unless started with other timings (etcd's default: 1000 ms). */
	public static final Duration TEST_ELECTION_TIMEOUT = Duration.ofMillis(500);

	private final Path baseDir;

	private final List<EtcdMember> members = new ArrayList<>();

	/** The proxies in front of the members' peer ports, in a cluster started by {@link #startPartitionable}. */
	private final PeerPartition peers = new PeerPartition();

	/** Each member's id as etcd's peer requests name it (hex), looked up once. */
	private final Map<Integer, String> memberIds = new ConcurrentHashMap<>();

	private final MemberProbe probe;

	private final Thread shutdownHook = new Thread(this::destroyAll, "grpc-scale-etcd-fixture-cleanup");

	private EtcdCluster(String binary, int size, @Nullable ServerTls tls, Duration heartbeat, Duration electionTimeout,
			boolean peerProxies) throws IOException {
		this.probe = new MemberProbe((tls != null) ? tls.sslContext() : null);
		String scheme = (tls != null) ? "https" : "http";
		this.baseDir = Files.createTempDirectory("grpc-scale-etcd-");
		List<MemberEndpoints> endpoints = new ArrayList<>();
		for (int i = 0; i < size; i++) {
			int clientPort = FreePorts.next();
			int peerPort = FreePorts.next();
			int advertisedPeerPort = peerProxies ? this.peers.add(peerPort) : peerPort;
			endpoints.add(new MemberEndpoints("m" + i, scheme, clientPort, peerPort, advertisedPeerPort,
					this.baseDir.resolve("m" + i)));
		}
		String token = "grpc-scale-" + Long.toHexString(System.nanoTime());
		EtcdCommandLine commandLine = new EtcdCommandLine(binary, token, heartbeat, electionTimeout, tls);
		for (int i = 0; i < size; i++) {
			this.members.add(new EtcdMember(i, endpoints.get(i), commandLine.of(endpoints.get(i), endpoints)));
		}
		Runtime.getRuntime().addShutdownHook(this.shutdownHook);
	}

	/** Starts a single-node etcd; see the class notes for a missing binary. */
	public static EtcdCluster startSingle() {
		return start(1);
	}

	/**
	 * Starts a cluster of {@code size} members and waits until every member is healthy.
	 * @param size number of members, 1 or more
	 * @return the running cluster
	 */
	public static EtcdCluster start(int size) {
		return start(size, null, TEST_HEARTBEAT_INTERVAL, TEST_ELECTION_TIMEOUT, false);
	}

	/**
	 * Starts a cluster of {@code size} members whose peers talk to each other through proxies, so that
	 * {@link #isolate(int)} can cut one member off. Other clusters talk directly: a proxy in the test's JVM
	 * slows raft traffic down on a busy machine.
	 * @param size number of members, 2 or more
	 * @return the running cluster
	 */
	public static EtcdCluster startPartitionable(int size) {
		if (size < 2) {
			throw new IllegalArgumentException("size: " + size + " (expected: >= 2, a single member has no peers)");
		}
		return start(size, null, TEST_HEARTBEAT_INTERVAL, TEST_ELECTION_TIMEOUT, true);
	}

	/**
	 * Starts a cluster of {@code size} members with the given raft timings (etcd's own defaults are 100 ms
	 * and 1000 ms; {@link #start(int)} uses {@link #TEST_HEARTBEAT_INTERVAL} and {@link #TEST_ELECTION_TIMEOUT}).
	 * etcd's minimum lease TTL follows them: 1.5 election timeouts, rounded up to whole seconds.
	 * @param size number of members, 1 or more
	 * @param heartbeat the raft heartbeat interval ({@code --heartbeat-interval})
	 * @param electionTimeout the raft election timeout ({@code --election-timeout})
	 * @return the running cluster
	 */
	public static EtcdCluster start(int size, Duration heartbeat, Duration electionTimeout) {
		return start(size, null, heartbeat, electionTimeout, false);
	}

	/**
	 * Starts a single node whose client port serves TLS with the given certificate (peers stay plain).
	 * @param tls the server certificate, its key and the CA that signed it
	 * @return the running node; its client endpoints are {@code https://} URLs
	 */
	public static EtcdCluster startSingleTls(ServerTls tls) {
		return start(1, tls, TEST_HEARTBEAT_INTERVAL, TEST_ELECTION_TIMEOUT, false);
	}

	private static EtcdCluster start(int size, @Nullable ServerTls tls, Duration heartbeat, Duration electionTimeout,
			boolean peerProxies) {
		if (size < 1) {
			throw new IllegalArgumentException("size: " + size + " (expected: >= 1)");
		}
		String binary = EtcdBinary.find(System.getenv());
		EtcdCluster cluster;
		try {
			cluster = new EtcdCluster(binary, size, tls, heartbeat, electionTimeout, peerProxies);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		try {
			cluster.members.forEach(EtcdMember::launch);
			cluster.members.forEach(cluster.probe::awaitHealthy);
			return cluster;
		}
		catch (RuntimeException ex) {
			cluster.close();
			throw ex;
		}
	}

	/**
	 * Whether an etcd binary is available. Tests should not branch on this: {@link #start(int)} already
	 * skips or fails as the class notes say.
	 */
	public static boolean isAvailable() {
		return EtcdBinary.locate(System.getenv()) != null;
	}

	/** Number of members. */
	public int size() {
		return this.members.size();
	}

	/** The client URLs of every member, for example {@code http://127.0.0.1:43121}. */
	public List<String> clientEndpoints() {
		return this.members.stream().map((member) -> member.endpoints().clientUrl()).toList();
	}

	/** The client URL of one member. */
	public String clientEndpoint(int member) {
		return this.members.get(member).endpoints().clientUrl();
	}

	/** The process id of a running member. */
	public long pid(int member) {
		return this.members.get(member).pid();
	}

	/** Whether a member's process is alive (a stopped process is alive). */
	public boolean isRunning(int member) {
		return this.members.get(member).isRunning();
	}

	/** {@code kill -9} of a member; its data directory stays for {@link #restart(int)}. */
	public void kill(int member) {
		this.members.get(member).kill();
	}

	/** {@code SIGSTOP} of a member: it keeps its sockets but answers nothing until {@link #resume(int)}. */
	public void pause(int member) {
		this.members.get(member).pause();
	}

	/** {@code SIGCONT} of a member paused by {@link #pause(int)}. */
	public void resume(int member) {
		this.members.get(member).resume();
	}

	/**
	 * Cuts a running member off from its peers, both ways, until {@link #healPartition()}: its peer
	 * connections are reset and new ones refused, while its client port keeps serving. The other members
	 * keep talking to each other, so a cluster of three keeps its quorum and elects a leader among the two
	 * if the isolated member led. Connections to other members' peer ports that name no sender (etcd's
	 * probes) still pass.
	 * @param member index of a running member
	 * @throws IllegalStateException if the cluster was not started by {@link #startPartitionable}, or the
	 * member does not answer
	 */
	public void isolate(int member) {
		if (this.peers.isEmpty()) {
			throw new IllegalStateException("isolate needs a cluster started by EtcdCluster.startPartitionable");
		}
		this.peers.isolate(member, memberId(member));
	}

	/** Ends every partition {@link #isolate(int)} made; members reconnect to each other on their own. */
	public void healPartition() {
		this.peers.heal();
	}

	/**
	 * A member's id as etcd writes it in its peer requests and logs: lower-case hex.
	 * @throws IllegalStateException if the member does not answer its status
	 */
	public String memberId(int member) {
		return this.memberIds.computeIfAbsent(member, (index) -> {
			String body = this.probe.status(this.members.get(index).endpoints());
			MemberStatus status = MemberStatus.parse(body);
			if (status == null) {
				throw new IllegalStateException("member " + index + " did not tell its id: " + body);
			}
			return status.memberIdHex();
		});
	}

	/**
	 * The member that is the raft leader now, as the running members report it ({@code /v3/maintenance/status}).
	 * @return its index, or {@code -1} when no running member names a leader among them
	 */
	public int leader() {
		SortedMap<Integer, MemberStatus> statuses = new TreeMap<>();
		for (int i = 0; i < this.members.size(); i++) {
			if (isRunning(i)) {
				MemberStatus status = MemberStatus.parse(this.probe.status(this.members.get(i).endpoints()));
				if (status != null) {
					statuses.put(i, status);
				}
			}
		}
		return MemberStatus.leaderIndex(statuses);
	}

	/**
	 * Starts killed members again, with their data directories and ports, and waits until each is healthy.
	 * All are launched before any is awaited, so a cluster that lost its quorum (for example members 0 and 1
	 * of 3 killed) regains it with {@code restart(0, 1)}.
	 * @param members indexes of killed members
	 * @throws IllegalStateException if one of them is running, or does not become healthy within 20 s
	 */
	public void restart(int... members) {
		for (int member : members) {
			if (isRunning(member)) {
				throw new IllegalStateException("member " + member + " is running; kill it first");
			}
		}
		for (int member : members) {
			this.members.get(member).launch();
		}
		for (int member : members) {
			awaitHealthy(member);
		}
	}

	/**
	 * Waits until a member answers {@code /health} with {@code "health":"true"}.
	 * @throws IllegalStateException if it does not within 20 s, or at once if its process has exited; both
	 * name its log
	 */
	public void awaitHealthy(int member) {
		this.probe.awaitHealthy(this.members.get(member));
	}

	/** Kills every member, stops the peer proxies and deletes the data directories. */
	@Override
	public void close() {
		destroyAll();
		this.peers.close();
		try {
			Runtime.getRuntime().removeShutdownHook(this.shutdownHook);
		}
		catch (IllegalStateException ex) {
			// the JVM is shutting down already
		}
	}

	private void destroyAll() {
		this.members.forEach(EtcdMember::destroy);
		deleteRecursively(this.baseDir);
	}

	private static void deleteRecursively(Path dir) {
		if (!Files.exists(dir)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(dir)) {
			paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
		}
		catch (IOException ex) {
			// best effort: a temp directory
		}
	}

	/**
	 * TLS material of a test etcd: PEM server certificate (valid for {@code 127.0.0.1} and
	 * {@code localhost}), its unencrypted PKCS#8 key, the PEM CA certificate that signed it, and, when etcd
	 * requires client certificates ({@code --client-cert-auth}), a client certificate signed by the same CA.
	 *
	 * @param certificate server certificate chain
	 * @param key server private key
	 * @param ca CA certificate
	 * @param client the client certificate etcd requires, or {@code null} when it requires none
	 */
	public record ServerTls(Path certificate, Path key, Path ca, TestCertificates.@Nullable Identity client) {

		/**
		 * Creates a CA and a server certificate in {@code dir} ({@link TestCertificates}, the JDK's keytool).
		 * @param dir an existing directory
		 * @return the material of an etcd that serves TLS and requires no client certificate
		 */
		public static ServerTls generate(Path dir) {
			return generate(dir, false);
		}

		/**
		 * Creates a CA, a server certificate and a client certificate in {@code dir}: etcd then runs with
		 * {@code --client-cert-auth}, trusting the CA for clients too.
		 * @param dir an existing directory
		 * @return the material, {@link #client()} the certificate clients must present
		 */
		public static ServerTls generateWithClientCertAuth(Path dir) {
			return generate(dir, true);
		}

		private static ServerTls generate(Path dir, boolean clientCertAuth) {
			try {
				TestCertificates certificates = TestCertificates.create(dir);
				TestCertificates.Identity server = certificates.issue("etcd-server", "127.0.0.1", "localhost");
				TestCertificates.Identity client = clientCertAuth ? certificates.issue("etcd-client", "etcd-client")
						: null;
				return new ServerTls(server.certificateChain(), server.privateKey(), certificates.caCertificate(),
						client);
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Could not create test certificates in " + dir, ex);
			}
		}

		/** Whether etcd requires client certificates. */
		public boolean clientCertAuth() {
			return this.client != null;
		}

		/** Trusts the CA and, when etcd requires it, presents the client certificate. */
		javax.net.ssl.SSLContext sslContext() {
			try (java.io.InputStream in = Files.newInputStream(this.ca)) {
				java.security.cert.Certificate certificate = java.security.cert.CertificateFactory.getInstance("X.509")
					.generateCertificate(in);
				java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
				store.load(null, null);
				store.setCertificateEntry("ca", certificate);
				javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory
					.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
				trust.init(store);
				javax.net.ssl.KeyManager[] keys = null;
				if (this.client != null) {
					java.security.KeyStore clientStore = java.security.KeyStore.getInstance("PKCS12");
					try (java.io.InputStream clientIn = Files.newInputStream(this.client.keyStore())) {
						clientStore.load(clientIn, TestCertificates.PASSWORD.toCharArray());
					}
					javax.net.ssl.KeyManagerFactory keyManagers = javax.net.ssl.KeyManagerFactory
						.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
					keyManagers.init(clientStore, TestCertificates.PASSWORD.toCharArray());
					keys = keyManagers.getKeyManagers();
				}
				javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
				context.init(keys, trust.getTrustManagers(), null);
				return context;
			}
			catch (IOException | java.security.GeneralSecurityException ex) {
				throw new IllegalStateException("Could not read the test certificates of " + this.ca, ex);
			}
		}

	}

}
