package dev.grpcscale.cluster.etcd;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.grpcscale.cluster.LeadershipHistoryChecker;
import dev.grpcscale.test.etcd.EtcdCluster;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chaos test: a 3-member etcd and 3 {@link ChaosNode} processes (heartbeat 200 ms, election timeout
 * 1 s) that log their leadership history to one file on one clock. 24 rounds cycle through: kill -9 of the
 * leader process, SIGSTOP of the leader for 1.8 s (longer than the election timeout) then SIGCONT, kill -9
 * and restart of an etcd member, SIGTERM of the leader (graceful leave). Killed and terminated nodes are
 * restarted. {@link LeadershipHistoryChecker} then proves that leaderships never overlapped, that tokens
 * grew from leader to leader, and that every fault of the leader was followed by a new leader within
 * {@code electionTimeout + heartbeatInterval + 1 s}. Failover figures are printed to the test output.
 */
class EtcdLeaderElectionChaosTests {

	private static final Duration HEARTBEAT = Duration.ofMillis(300);

	private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(2);

	private static final Duration MAX_FAILOVER = ELECTION_TIMEOUT.plus(HEARTBEAT).plusSeconds(1);

	private static final int ROUNDS = 24;

	private static final String[] NODES = { "n0", "n1", "n2" };

	@TempDir
	Path dir;

	private final Map<String, Process> processes = new HashMap<>();

	private EtcdCluster etcd;

	private Path historyFile;

	private Tail tail;

	@AfterEach
	void stopEverything() {
		for (Process process : this.processes.values()) {
			signal(process.pid(), "CONT");
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
		if (this.etcd != null) {
			this.etcd.close();
		}
	}

	@Test
	void leadershipsNeverOverlapAndTokensGrowUnderKillsPausesAndEtcdMemberRestarts() throws Exception {
		long started = System.nanoTime();
		this.etcd = EtcdCluster.start(3);
		this.historyFile = this.dir.resolve("history.log");
		Files.createFile(this.historyFile);
		this.tail = new Tail(this.historyFile);
		for (String node : NODES) {
			startNode(node);
		}
		List<String> done = new ArrayList<>();
		for (int round = 0; round < ROUNDS; round++) {
			// the first round waits for three node JVMs to start, slow on a loaded machine
			Leader leader = awaitLeader(Duration.ofSeconds((round == 0) ? 60 : 15));
			// a deliberate pause, not a wait for a condition: the leader logs some LEADING probes first
			Thread.sleep(300);
			leader = awaitLeader(Duration.ofSeconds(15));
			Process process = this.processes.get(leader.node);
			switch (round % 4) {
				case 0 -> {
					fault("KILL", leader.node);
					process.destroyForcibly();
					process.waitFor(10, TimeUnit.SECONDS);
					awaitLeaderAfter(leader.token, Duration.ofSeconds(15));
					startNode(leader.node);
				}
				case 1 -> {
					fault("STOP", leader.node);
					signal(process.pid(), "STOP");
					Thread.sleep(ELECTION_TIMEOUT.multipliedBy(18).dividedBy(10).toMillis());
					signal(process.pid(), "CONT");
					fault("CONT", leader.node);
					awaitLeaderAfter(leader.token, Duration.ofSeconds(15));
				}
				case 2 -> {
					int member = (round / 4) % this.etcd.size();
					fault("ETCD_KILL", "m" + member);
					this.etcd.kill(member);
					Thread.sleep(500);
					this.etcd.restart(member);
					fault("ETCD_RESTART", "m" + member);
				}
				default -> {
					fault("TERM", leader.node);
					process.destroy();
					awaitLeaderAfter(leader.token, Duration.ofSeconds(15));
					process.waitFor(15, TimeUnit.SECONDS);
					startNode(leader.node);
				}
			}
			done.add(round + ":" + (round % 4));
		}
		awaitLeader(Duration.ofSeconds(15));
		for (Process process : this.processes.values()) {
			process.destroyForcibly();
		}

		LeadershipHistoryChecker.Report report = new LeadershipHistoryChecker(MAX_FAILOVER)
			.addAll(Files.readAllLines(this.historyFile))
			.check();
		long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
		System.out.println("CHAOS rounds=" + done.size() + " leaderships=" + report.intervals().size() + " runtime="
				+ seconds + "s");
		for (String kind : List.of("KILL", "STOP", "TERM")) {
			List<Long> millis = report.failovers(kind).stream().map(Duration::toMillis).toList();
			System.out.println("FAILOVER chaos " + kind + " -> new leader (ms, " + millis.size() + " rounds): " + millis
					+ (millis.isEmpty() ? "" : " " + EtcdLeaderElectionTests.summary(millis)));
		}
		Path kept = Files.createDirectories(Path.of("target", "chaos"));
		try (var files = Files.list(this.dir)) {
			for (Path file : files.toList()) {
				Files.copy(file, kept.resolve(file.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
			}
		}
		report.assertValid();
		assertThat(done).hasSize(ROUNDS);
		assertThat(report.failovers("KILL")).hasSize(ROUNDS / 4);
		assertThat(report.failovers("STOP")).hasSize(ROUNDS / 4);
		assertThat(report.failovers("TERM")).hasSize(ROUNDS / 4);
	}

	private void startNode(String node) throws IOException {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
		ProcessBuilder builder = new ProcessBuilder(java, "-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
				"-cp", classpath, ChaosNode.class.getName(), node, String.join(",", this.etcd.clientEndpoints()),
				this.historyFile.toString(), Long.toString(HEARTBEAT.toMillis()),
				Long.toString(ELECTION_TIMEOUT.toMillis()), "chaos")
			.redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.appendTo(this.dir.resolve(node + ".out").toFile()));
		this.processes.put(node, builder.start());
	}

	private void fault(String kind, String target) throws IOException {
		String line = "FAULT " + kind + " " + target + " " + System.nanoTime() + "\n";
		Files.writeString(this.historyFile, line, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
	}

	private Leader awaitLeader(Duration atMost) throws Exception {
		return awaitLeaderAfter(Long.MIN_VALUE, atMost);
	}

	/** Waits until some node holds a leadership with a token above {@code token}, as its log shows. */
	private Leader awaitLeaderAfter(long token, Duration atMost) throws Exception {
		try {
			return org.awaitility.Awaitility.await()
				.atMost(atMost)
				.pollInterval(Duration.ofMillis(10))
				.until(() -> this.tail.currentLeader(System.nanoTime()),
						(leader) -> leader != null && leader.token > token);
		}
		catch (org.awaitility.core.ConditionTimeoutException ex) {
			throw new AssertionError("no leader with a token above " + token + " within " + atMost + "; see "
					+ this.dir, ex);
		}
	}

	private static void signal(long pid, String signal) {
		try {
			new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor();
		}
		catch (IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private record Leader(String node, long token) {
	}

	/** Follows the history file: the latest lease each node logged, per token. */
	private static final class Tail {

		private final File file;

		private long offset;

		private final Map<String, long[]> latest = new HashMap<>();

		private final StringBuilder partial = new StringBuilder();

		Tail(Path file) {
			this.file = file.toFile();
		}

		/** A node whose latest logged leadership is not revoked and still valid at {@code now}. */
		Leader currentLeader(long now) throws IOException {
			try (RandomAccessFile in = new RandomAccessFile(this.file, "r")) {
				in.seek(this.offset);
				byte[] bytes = new byte[(int) (in.length() - this.offset)];
				in.readFully(bytes);
				this.offset += bytes.length;
				this.partial.append(new String(bytes, StandardCharsets.UTF_8));
			}
			int newline;
			while ((newline = this.partial.indexOf("\n")) >= 0) {
				String[] event = this.partial.substring(0, newline).trim().split("\\s+");
				this.partial.delete(0, newline + 1);
				switch (event[0]) {
					case "GRANTED", "RENEWED" -> {
						long token = Long.parseLong(event[2]);
						long[] known = this.latest.get(event[1]);
						if (known == null || token >= known[0]) {
							this.latest.put(event[1], new long[] { token, Long.parseLong(event[4]) });
						}
					}
					case "REVOKED" -> {
						long[] known = this.latest.get(event[1]);
						if (known != null && known[0] == Long.parseLong(event[2])) {
							this.latest.remove(event[1]);
						}
					}
					default -> {
					}
				}
			}
			Leader best = null;
			for (Map.Entry<String, long[]> entry : this.latest.entrySet()) {
				long[] lease = entry.getValue();
				if (now - lease[1] < 0 && (best == null || lease[0] > best.token)) {
					best = new Leader(entry.getKey(), lease[0]);
				}
			}
			return best;
		}

	}

}
