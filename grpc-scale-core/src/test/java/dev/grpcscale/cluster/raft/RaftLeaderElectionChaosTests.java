package dev.grpcscale.cluster.raft;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.grpcscale.cluster.ChaosHistoryTail;
import dev.grpcscale.cluster.LeadershipHistoryChecker;
import dev.grpcscale.test.net.FreePorts;
import dev.grpcscale.test.net.TcpProxy;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Raft chaos test: three {@link RaftChaosNode} processes (heartbeat 150 ms, election timeout 1 s) that log
 * their leadership history to one file on one clock. Each node reaches each other node's Raft server through a
 * {@link TcpProxy} of its own (six proxies), so the test can cut one node off the other two in both
 * directions. 20 rounds cycle through five faults of the leader, four rounds each:
 * <ol>
 * <li>{@code KILL}: kill -9 of the leader (restarted on its storage once the next leader is elected);</li>
 * <li>{@code STOP}: SIGSTOP of the leader for 1.8 s (beyond the election timeout), then SIGCONT;</li>
 * <li>{@code PARTITION_DROP}: the leader's proxies, both ways, reset every connection until a new leader is
 * elected and 1.5 s have passed;</li>
 * <li>{@code PARTITION_BLACKHOLE}: the same, forwarding nothing (connections hang);</li>
 * <li>{@code TERM}: SIGTERM of the leader (graceful close: it hands leadership over), restarted.</li>
 * </ol>
 * {@link LeadershipHistoryChecker} then proves that leaderships never overlapped, tokens (Raft terms) grew from
 * leader to leader, after each fault a new leader came within {@link #MAX_FAILOVER}, and that each graceful
 * shutdown handed Raft leadership over to the node that led next. Figures are printed
 * ({@code FAILOVER raft ...}) and the history is kept in {@code target/chaos-raft}.
 */
class RaftLeaderElectionChaosTests {

	private static final Duration HEARTBEAT = Duration.ofMillis(150);

	private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(1);

	/**
	 * From a fault of the leader to the next leader: a follower's randomized election timeout (at most twice the
	 * election timeout after the leader was last heard from), and as much again when the first election splits
	 * its votes or a paused leader resumes before anyone was elected (it then hands over), with 2 s of slack for
	 * a loaded machine. Measured medians are 2 to 3 s (see docs/benchmarks.md).
	 */
	private static final Duration MAX_FAILOVER = ELECTION_TIMEOUT.multipliedBy(4).plusSeconds(2);

	private static final Duration PARTITION = ELECTION_TIMEOUT.multipliedBy(3).dividedBy(2);

	/** How long the STOP fault freezes the leader: beyond its election timeout, so a successor is elected. */
	private static final Duration LEADER_FROZEN = ELECTION_TIMEOUT.multipliedBy(18).dividedBy(10);

	private static final String[] KINDS = { "KILL", "STOP", "PARTITION_DROP", "PARTITION_BLACKHOLE", "TERM" };

	private static final int ROUNDS = 20;

	private static final String[] NODES = { "n0", "n1", "n2" };

	@TempDir
	Path dir;

	private final Map<String, Process> processes = new HashMap<>();

	private final Map<String, Integer> ports = new HashMap<>();

	/** Proxies by "from->to". */
	private final Map<String, TcpProxy> proxies = new HashMap<>();

	private Path historyFile;

	private ChaosHistoryTail tail;

	@AfterEach
	void stopEverything() {
		for (Process process : this.processes.values()) {
			ChaosHistoryTail.signal(process.pid(), "CONT");
			process.destroyForcibly();
		}
		for (Process process : this.processes.values()) {
			try {
				process.waitFor(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		this.proxies.values().forEach(TcpProxy::close);
	}

	@Test
	void leadershipsNeverOverlapUnderKillsPausesPartitionsAndGracefulShutdowns() throws Exception {
		long started = System.nanoTime();
		this.historyFile = this.dir.resolve("history.log");
		Files.createFile(this.historyFile);
		this.tail = new ChaosHistoryTail(this.historyFile);
		for (String node : NODES) {
			this.ports.put(node, FreePorts.next());
		}
		for (String from : NODES) {
			for (String to : NODES) {
				if (!from.equals(to)) {
					this.proxies.put(from + "->" + to, TcpProxy.start("127.0.0.1", this.ports.get(to)));
				}
			}
		}
		for (String node : NODES) {
			startNode(node);
		}
		List<String> done = new ArrayList<>();
		for (int round = 0; round < ROUNDS; round++) {
			// the first round waits for three node JVMs to start, slow on a loaded machine
			ChaosHistoryTail.Leader leader = awaitLeader(Duration.ofSeconds((round == 0) ? 60 : 15));
			awaitAllUp(Duration.ofSeconds(30));
			// the leader renews (and logs its probes) before the fault
			this.tail.awaitRenewal(leader, Duration.ofSeconds(15));
			leader = awaitLeader(Duration.ofSeconds(15));
			Process process = this.processes.get(leader.node());
			String kind = KINDS[round % KINDS.length];
			switch (kind) {
				case "KILL" -> {
					fault(kind, leader.node());
					process.destroyForcibly();
					process.waitFor(10, TimeUnit.SECONDS);
					this.tail.awaitLeaderAfter(leader.token(), Duration.ofSeconds(15));
					startNode(leader.node());
				}
				case "STOP" -> {
					fault(kind, leader.node());
					ChaosHistoryTail.pause(process, LEADER_FROZEN);
					fault("CONT", leader.node());
					this.tail.awaitLeaderAfter(leader.token(), Duration.ofSeconds(15));
				}
				case "PARTITION_DROP", "PARTITION_BLACKHOLE" -> {
					long cut = System.nanoTime();
					fault(kind, leader.node());
					List<TcpProxy> cutOff = proxiesOf(leader.node());
					ChaosHistoryTail.partition(cutOff, kind);
					this.tail.awaitLeaderAfter(leader.token(), Duration.ofSeconds(15));
					ChaosHistoryTail.holdUntil(cut + PARTITION.toNanos());
					cutOff.forEach(TcpProxy::heal);
					fault("HEAL", leader.node());
				}
				default -> {
					fault(kind, leader.node());
					process.destroy();
					this.tail.awaitLeaderAfter(leader.token(), Duration.ofSeconds(15));
					process.waitFor(15, TimeUnit.SECONDS);
					startNode(leader.node());
				}
			}
			done.add(round + ":" + kind);
		}
		awaitLeader(Duration.ofSeconds(15));
		for (Process process : this.processes.values()) {
			process.destroyForcibly();
		}
		for (Process process : this.processes.values()) {
			process.waitFor(10, TimeUnit.SECONDS);
		}
		LeadershipHistoryChecker.Report report = new LeadershipHistoryChecker(MAX_FAILOVER)
			.addAll(Files.readAllLines(this.historyFile))
			.check();
		long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
		System.out.println("CHAOS raft rounds=" + done.size() + " leaderships=" + report.intervals().size()
				+ " runtime=" + seconds + "s");
		for (String kind : KINDS) {
			print("FAILOVER raft " + kind + " -> new leader", report.failovers(kind));
		}
		Path kept = Files.createDirectories(Path.of("target", "chaos-raft"));
		try (var files = Files.list(this.dir)) {
			for (Path file : files.filter(Files::isRegularFile).toList()) {
				Files.copy(file, kept.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
			}
		}
		report.assertValid();
		assertThat(done).hasSize(ROUNDS);
		for (String kind : KINDS) {
			assertThat(report.failovers(kind)).as(kind).hasSize(ROUNDS / KINDS.length);
		}
		// A graceful shutdown hands Ratis leadership over instead of leaving the others to wait out an election
		// timeout. Shown by the shutdown itself: the node logged the transfer of its term. (Its speed, 128 / 369 ms
		// median / max in docs/benchmarks.md against >= 1 s for an election, is printed above; a wall-clock bound
		// on it would also measure the machine's load.)
		for (LeadershipHistoryChecker.Failover failover : report.failovers()) {
			if (failover.kind().equals("TERM")) {
				assertHandedOver(report, failover);
			}
		}
	}

	private void assertHandedOver(LeadershipHistoryChecker.Report report, LeadershipHistoryChecker.Failover failover)
			throws IOException {
		LeadershipHistoryChecker.Interval held = report.intervals()
			.stream()
			.filter((interval) -> interval.node().equals(failover.node()) && interval.start() <= failover.faultAt())
			.max(java.util.Comparator.comparingLong(LeadershipHistoryChecker.Interval::start))
			.orElseThrow();
		// the target may pass the term on again (seen: n2 -> n0, which had not joined yet, -> n1), so the target
		// named is not always the next leader; the hand-over of the shut-down node's own term is what counts
		assertThat(Files.readString(this.dir.resolve(failover.node() + ".out")))
			.as("%s's output after its SIGTERM at %d", failover.node(), failover.faultAt())
			.contains("Node " + failover.node() + " hands Raft leadership of term " + held.token() + " over to ");
	}

	private static void print(String label, List<Duration> durations) {
		List<Long> millis = durations.stream().map(Duration::toMillis).toList();
		List<Long> sorted = millis.stream().sorted().toList();
		System.out.println(label + " (ms, " + millis.size() + " rounds): " + millis + (millis.isEmpty() ? ""
				: " p50=" + sorted.get((sorted.size() - 1) / 2) + "ms max=" + sorted.get(sorted.size() - 1) + "ms"));
	}

	/** Every proxy the node's Raft traffic goes through, both ways. */
	private List<TcpProxy> proxiesOf(String node) {
		List<TcpProxy> found = new ArrayList<>();
		this.proxies.forEach((route, proxy) -> {
			if (route.startsWith(node + "->") || route.endsWith("->" + node)) {
				found.add(proxy);
			}
		});
		return found;
	}

	private void startNode(String node) throws IOException {
		List<String> entries = new ArrayList<>();
		for (String other : NODES) {
			entries.add(other + "=" + (other.equals(node) ? "127.0.0.1:" + this.ports.get(node)
					: this.proxies.get(node + "->" + other).hostAndPort()));
		}
		this.tail.down(node);
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
		ProcessBuilder builder = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
				"-cp", classpath, RaftChaosNode.class.getName(), node, String.join(",", entries),
				this.dir.resolve("storage-" + node).toString(), this.historyFile.toString(),
				Long.toString(HEARTBEAT.toMillis()), Long.toString(ELECTION_TIMEOUT.toMillis()))
			.redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.appendTo(this.dir.resolve(node + ".out").toFile()));
		this.processes.put(node, builder.start());
	}

	private void fault(String kind, String target) throws IOException {
		Files.writeString(this.historyFile, "FAULT " + kind + " " + target + " " + System.nanoTime() + "\n",
				StandardCharsets.UTF_8, StandardOpenOption.APPEND);
	}

	private void awaitAllUp(Duration atMost) {
		org.awaitility.Awaitility.await()
			.atMost(atMost)
			.pollInterval(Duration.ofMillis(20))
			.until(() -> {
				this.tail.currentLeader(System.nanoTime());
				return this.tail.allUp(NODES);
			});
	}

	private ChaosHistoryTail.Leader awaitLeader(Duration atMost) {
		return this.tail.awaitLeaderAfter(Long.MIN_VALUE, atMost);
	}

}
