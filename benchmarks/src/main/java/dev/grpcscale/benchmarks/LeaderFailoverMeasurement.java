package dev.grpcscale.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.Client;

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
 * <li><b>crash</b>: the leader's jetcd client is closed without resigning, so its lease must expire; the
 * node is then replaced by a fresh one with the same id.</li>
 * </ul>
 * The crash bound is {@code electionTimeout + heartbeatInterval}: the lease's TTL plus at most one
 * renewal period.
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
	public static void main(String[] args) throws InterruptedException {
		int graceful = (args.length > 0) ? Integer.parseInt(args[0]) : 5;
		int crash = (args.length > 1) ? Integer.parseInt(args[1]) : 3;
		try (EtcdCluster etcd = EtcdCluster.start(3)) {
			System.out.println(measure(etcd.clientEndpoints(), graceful, crash));
		}
	}

	/**
	 * Measures failovers.
	 * @param endpoints etcd client endpoints
	 * @param gracefulRounds graceful resignations
	 * @param crashRounds crashes
	 * @return the failover times
	 * @throws InterruptedException if interrupted
	 */
	public static Failovers measure(List<String> endpoints, int gracefulRounds, int crashRounds)
			throws InterruptedException {
		LeaderFailoverMeasurement measurement = new LeaderFailoverMeasurement(endpoints);
		try {
			return measurement.run(gracefulRounds, crashRounds);
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
			leader.client.close();
			LeadershipEvent next = nextGrant(current.fencingToken(), Duration.ofSeconds(15));
			crash.add(next.atNanos() - crashed);
			leader.close();
			this.nodes.remove(leader);
			start(leader.nodeId);
			current = next;
		}
		return new Failovers(graceful, crash, ELECTION_TIMEOUT.plus(HEARTBEAT));
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

		void close() {
			this.election.close();
			this.client.close();
		}

	}

	/**
	 * Failover times.
	 * @param gracefulNanos leave until the next grant, per round
	 * @param crashNanos client closed until the next grant, per round
	 * @param crashBound {@code electionTimeout + heartbeatInterval}
	 */
	public record Failovers(List<Long> gracefulNanos, List<Long> crashNanos, Duration crashBound) {

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
			return "etcd failover: graceful leave -> new leader " + millis(this.gracefulNanos) + " ms, crash -> new leader "
					+ millis(this.crashNanos) + " ms (bound " + this.crashBound.toMillis() + " ms)";
		}

	}

}
