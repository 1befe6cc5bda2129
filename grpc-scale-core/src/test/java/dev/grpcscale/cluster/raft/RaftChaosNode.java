package dev.grpcscale.cluster.raft;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import ch.qos.logback.classic.Level;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeadershipSampler;

/**
 * One node of the Raft chaos test, run as a process of its own: {@code RaftChaosNode <nodeId>
 * <id=host:port,...> <storageDir> <historyFile> <heartbeatMillis> <electionTimeoutMillis>}. The nodes list
 * gives this node's own entry at the port its Raft server binds and every other node at the address of a
 * proxy this node alone goes through, so the test can cut one node off the others. It joins a
 * {@link RaftLeaderElection} and appends to the history file, one {@code write} per line so that a kill -9
 * loses nothing written: {@code UP node at} once joined, every leadership event ({@code GRANTED/RENEWED/REVOKED
 * node token at validUntil}) and, every 10 ms while {@code leadership()} is present, a probe
 * {@code LEADING node token t0 t1}. On SIGTERM it closes the election (hands leadership over) before exiting.
 * Times are {@link System#nanoTime()}: one clock for every process of the machine.
 */
public final class RaftChaosNode {

	private final FileOutputStream history;

	private RaftChaosNode(FileOutputStream history) {
		this.history = history;
	}

	public static void main(String[] args) throws Exception {
		((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.INFO);
		((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache.ratis")).setLevel(Level.WARN);
		String nodeId = args[0];
		List<RaftNode> nodes = Arrays.stream(args[1].split(",")).map(RaftNode::parse).toList();
		RaftChaosNode node = new RaftChaosNode(new FileOutputStream(args[3], true));
		RaftLeaderElection election = RaftLeaderElection.builder()
			.settings(LeaderElectionSettings.builder()
				.nodeId(nodeId)
				.address("127.0.0.1:" + ProcessHandle.current().pid())
				.heartbeatInterval(Duration.ofMillis(Long.parseLong(args[4])))
				.electionTimeout(Duration.ofMillis(Long.parseLong(args[5])))
				.build())
			.nodes(nodes)
			.storageDir(Path.of(args[2]))
			.build();
		election.addListener((event) -> node.write(event.type() + " " + nodeId + " " + event.fencingToken() + " "
				+ event.atNanos() + " " + event.validUntilNanos()));
		Runtime.getRuntime().addShutdownHook(new Thread(election::close, "grpc-scale-chaos-node-shutdown"));
		election.join();
		node.write("UP " + nodeId + " " + System.nanoTime());
		LeadershipSampler.sampleUntilEnded(election, nodeId, node::write);
	}

	private synchronized void write(String line) {
		try {
			this.history.write((line + "\n").getBytes(StandardCharsets.UTF_8));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
