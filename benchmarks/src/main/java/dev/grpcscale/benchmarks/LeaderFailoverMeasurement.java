package dev.grpcscale.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseGrantResponse;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeadershipEvent;
import dev.grpcscale.cluster.etcd.EtcdLeaderElection;
import dev.grpcscale.test.etcd.EtcdCluster;

/**
 * Case e, failover: three {@link EtcdLeaderElection} nodes in this JVM, each on its own jetcd client, and
 * the time from the leader going away until another node is granted leadership (its {@code GRANTED}
 * event's time, taken before its {@code isLeader()} turns true):
 * <ul>
 * <li><b>graceful</b>: the leader calls {@code leave()} (revokes its lease), then rejoins;</li>
 * <li><b>crash</b>: the leader's jetcd client is closed without resigning, so its lease must expire, and its
 * election is closed right after (it cannot revoke the lease any more, and says so in one warning); the node
 * is then replaced by a fresh one with the same id.</li>
 * </ul>
 * The crash bound is what etcd allows, not the election timeout alone: the lease's TTL as etcd granted it
 * (etcd raises a TTL below its minimum, {@code ceil((3 * electionTicks / 2) * heartbeat)}: 1 s with the test
 * fixture's raft timings, 2 s with etcd's defaults), plus {@value #EXPIRY_LOOP_MILLIS} ms (etcd's lessor
 * looks for expired leases every 500 ms), plus {@value #REVOKE_ALLOWANCE_MILLIS} ms for the revoke's raft
 * commit and the next node seeing it (it reads the candidacies every half heartbeat) and taking over. The last
 * renewal before the crash only shortens it.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.grpcscale.benchmarks.LeaderFailoverMeasurement [graceful] [crash]
 * </pre>
 */
public final class LeaderFailoverMeasurement {

	/** Heartbeat interval of the measured nodes. */
	public static final Duration HEARTBEAT = Duration.ofMillis(200);

	/** Election timeout of the measured nodes. */
	public static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(1);

	/** etcd's lessor checks for expired leases every 500 ms ({@code lessor.runLoop}). */
	static final long EXPIRY_LOOP_MILLIS = 500;

	/**
	 * After the lease is revoked: half a heartbeat, the period at which the other nodes read the candidacies
	 * (100 ms), plus 100 ms for the revoke's raft commit and the next node's candidacy transaction on loopback.
	 */
	static final long REVOKE_ALLOWANCE_MILLIS = 200;

	/** etcd's default {@code --heartbeat-interval}. */
	public static final Duration ETCD_DEFAULT_HEARTBEAT = Duration.ofMillis(100);

	/** etcd's default {@code --election-timeout}. */
	public static final Duration ETCD_DEFAULT_ELECTION_TIMEOUT = Duration.ofMillis(1000);

	private final List<String> endpoints;

	private final String namespace = "failover-" + Long.toHexString(System.nanoTime());

	private final List<Node> nodes = new ArrayList<>();

	private final BlockingQueue<LeadershipEvent> grants = new LinkedBlockingQueue<>();

	private LeaderFailoverMeasurement(List<String> endpoints) {
		this.endpoints = endpoints;
	}

	/**
	 * Prints failover times on a 3-member etcd started here.
	 * @param args {@code [gracefulRounds] [crashRounds]}, default 5 and 3
	 * @throws InterruptedException if interrupted
	 */
	public static void main(String[] args) throws Exception {
		int graceful = (args.length > 0) ? Integer.parseInt(args[0]) : 5;
		int crash = (args.length > 1) ? Integer.parseInt(args[1]) : 3;
		try (EtcdCluster etcd = EtcdCluster.start(3)) {
			System.out.println(measure("tuned", etcd.clientEndpoints(), graceful, crash));
		}
		try (EtcdCluster etcd = EtcdCluster.start(3, ETCD_DEFAULT_HEARTBEAT, ETCD_DEFAULT_ELECTION_TIMEOUT)) {
			System.out.println(measure("etcd defaults", etcd.clientEndpoints(), graceful, crash));
		}
	}

	/**
	 * The TTL etcd grants for a lease the measured nodes ask for ({@code electionTimeout} in whole seconds).
	 * @param endpoints etcd client endpoints
	 * @return the granted TTL
	 * @throws Exception if etcd does not answer
	 */
	static Duration grantedTtl(List<String> endpoints) throws Exception {
		try (Client client = Client.builder().endpoints(endpoints.toArray(String[]::new)).build()) {
			long requested = Math.max(1, (ELECTION_TIMEOUT.toMillis() + 999) / 1000);
			LeaseGrantResponse grant = client.getLeaseClient().grant(requested).get(10, TimeUnit.SECONDS);
			client.getLeaseClient().revoke(grant.getID()).get(10, TimeUnit.SECONDS);
			return Duration.ofSeconds(grant.getTTL());
		}
	}

	/**
	 * Measures failovers.
	 * @param label the cluster's raft timings, for the report
	 * @param endpoints etcd client endpoints
	 * @param gracefulRounds graceful resignations
	 * @param crashRounds crashes
	 * @return the failover times
	 * @throws Exception if etcd does not answer or no new leader is elected
	 */
	public static Failovers measure(String label, List<String> endpoints, int gracefulRounds, int crashRounds)
			throws Exception {
		Duration ttl = grantedTtl(endpoints);
		LeaderFailoverMeasurement measurement = new LeaderFailoverMeasurement(endpoints);
		try {
			Failovers failovers = measurement.run(gracefulRounds, crashRounds);
			return new Failovers(label, failovers.gracefulNanos(), failovers.crashNanos(), ttl,
					ttl.plusMillis(EXPIRY_LOOP_MILLIS + REVOKE_ALLOWANCE_MILLIS));
		}
		finally {
			measurement.nodes.forEach(Node::close);
		}
	}

	private Failovers run(int gracefulRounds, int crashRounds) throws InterruptedException {
		for (int i = 0; i < 3; i++) {
			start("n" + i);
		}
		LeadershipEvent current = nextGrant(Long.MIN_VALUE, Duration.ofSeconds(15));
		List<Long> graceful = new ArrayList<>();
		for (int round = 0; round < gracefulRounds; round++) {
			Node leader = nodeOf(current);
			long left = System.nanoTime();
			leader.election.leave();
			LeadershipEvent next = nextGrant(current.fencingToken(), Duration.ofSeconds(10));
			graceful.add(next.atNanos() - left);
			leader.election.join();
			current = next;
		}
		List<Long> crash = new ArrayList<>();
		for (int round = 0; round < crashRounds; round++) {
			Node leader = nodeOf(current);
			long crashed = System.nanoTime();
			leader.crash();
			this.nodes.remove(leader);
			LeadershipEvent next = nextGrant(current.fencingToken(), Duration.ofSeconds(15));
			crash.add(next.atNanos() - crashed);
			start(leader.nodeId);
			current = next;
		}
		return new Failovers("", graceful, crash, Duration.ZERO, Duration.ZERO);
	}

	private Node nodeOf(LeadershipEvent grant) {
		for (Node node : this.nodes) {
			if (node.nodeId.equals(grant.nodeId()) && node.election.isLeader()) {
				return node;
			}
		}
		throw new IllegalStateException("no running node " + grant.nodeId() + " leads");
	}

	/** The first GRANTED event with a token above {@code token}, older ones discarded. */
	private LeadershipEvent nextGrant(long token, Duration atMost) throws InterruptedException {
		long deadline = System.nanoTime() + atMost.toNanos();
		while (true) {
			LeadershipEvent event = this.grants.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
			if (event == null) {
				throw new IllegalStateException("no new leader within " + atMost.toMillis() + " ms");
			}
			if (event.fencingToken() > token) {
				return event;
			}
		}
	}

	private void start(String nodeId) {
		Node node = new Node(nodeId, Client.builder().endpoints(this.endpoints.toArray(String[]::new)).build(),
				this.namespace);
		node.election.addListener((event) -> {
			if (event.type() == LeadershipEvent.Type.GRANTED) {
				this.grants.add(event);
			}
		});
		node.election.join();
		this.nodes.add(node);
	}

	private static final class Node {

		final String nodeId;

		final Client client;

		final EtcdLeaderElection election;

		Node(String nodeId, Client client, String namespace) {
			this.nodeId = nodeId;
			this.client = client;
			this.election = EtcdLeaderElection.create(client, LeaderElectionSettings.builder()
				.nodeId(nodeId)
				.address("127.0.0.1:" + nodeId)
				.namespace(namespace)
				.heartbeatInterval(HEARTBEAT)
				.electionTimeout(ELECTION_TIMEOUT)
				.build());
		}

		/** Stops as a shutdown should: the election leaves (revokes its lease) before its client closes. */
		void close() {
			this.election.close();
			this.client.close();
		}

		/**
		 * Stops as a crash would: the client closes first, so the lease is never revoked and must expire. The
		 * election is closed right after, so that nothing keeps running on the closed client during the
		 * measurement; it logs the one warning that the lease was left to expire.
		 */
		void crash() {
			this.client.close();
			this.election.close();
		}

	}

	/**
	 * Failover times.
	 * @param label the cluster's raft timings
	 * @param gracefulNanos leave until the next grant, per round
	 * @param crashNanos client closed until the next grant, per round
	 * @param grantedTtl the lease TTL etcd granted for the nodes' {@code electionTimeout}
	 * @param crashBound {@code grantedTtl} + etcd's 500 ms expiry loop + 200 ms for revoke, read and take-over
	 */
	public record Failovers(String label, List<Long> gracefulNanos, List<Long> crashNanos, Duration grantedTtl,
			Duration crashBound) {

		/** Crash failover times in milliseconds, per round. */
		public List<Double> crashMillis() {
			return this.crashNanos.stream().map((n) -> n / 1e6).toList();
		}

		/** Graceful failover times in milliseconds, per round. */
		public List<Double> gracefulMillis() {
			return this.gracefulNanos.stream().map((n) -> n / 1e6).toList();
		}

		/** The slowest graceful failover in milliseconds. */
		public double gracefulMaxMillis() {
			return this.gracefulNanos.stream().mapToLong(Long::longValue).max().orElse(0) / 1e6;
		}

		/** The slowest crash failover in milliseconds. */
		public double crashMaxMillis() {
			return this.crashNanos.stream().mapToLong(Long::longValue).max().orElse(0) / 1e6;
		}

		private static String millis(List<Long> nanos) {
			return nanos.stream().map((n) -> String.format(Locale.ROOT, "%.0f", n / 1e6)).toList().toString();
		}

		@Override
		public String toString() {
			return "etcd failover (" + this.label + "): graceful leave -> new leader " + millis(this.gracefulNanos)
					+ " ms, crash -> new leader " + millis(this.crashNanos) + " ms (lease TTL granted "
					+ this.grantedTtl.toSeconds() + " s, bound " + this.crashBound.toMillis() + " ms)";
		}

	}

}
