package dev.grpcscale.cluster.etcd;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

import ch.qos.logback.classic.Level;
import io.etcd.jetcd.Client;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.Leadership;

/**
 * One node of the chaos test, run as a process of its own: {@code ChaosNode <nodeId> <endpoints,...>
 * <historyFile> <heartbeatMillis> <electionTimeoutMillis> <namespace>}. It joins an
 * {@link EtcdLeaderElection} and appends to the history file, one {@code write} per line so that a kill -9
 * loses nothing written: every leadership event ({@code GRANTED/RENEWED/REVOKED node token at validUntil})
 * and, every 10 ms while {@code leadership()} is present, a probe {@code LEADING node token t0 t1}. On
 * SIGTERM it leaves (resigns) before exiting. Times are {@link System#nanoTime()}: one clock for every
 * process of the machine.
 */
public final class ChaosNode {

	private final FileOutputStream history;

	private ChaosNode(FileOutputStream history) {
		this.history = history;
	}

	public static void main(String[] args) throws Exception {
		((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.INFO);
		String nodeId = args[0];
		String[] endpoints = args[1].split(",");
		ChaosNode node = new ChaosNode(new FileOutputStream(args[2], true));
		Client client = Client.builder().endpoints(endpoints).loadBalancerPolicy("round_robin").build();
		EtcdLeaderElection election = EtcdLeaderElection.create(client, LeaderElectionSettings.builder()
			.nodeId(nodeId)
			.address("127.0.0.1:" + ProcessHandle.current().pid())
			.namespace(args[5])
			.heartbeatInterval(Duration.ofMillis(Long.parseLong(args[3])))
			.electionTimeout(Duration.ofMillis(Long.parseLong(args[4])))
			.build());
		election.addListener((event) -> node.write(event.type() + " " + nodeId + " " + event.fencingToken() + " "
				+ event.atNanos() + " " + event.validUntilNanos()));
		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			election.close();
			client.close();
		}, "grpc-scale-chaos-node-shutdown"));
		election.join();
		while (true) {
			long t0 = System.nanoTime();
			Optional<Leadership> leadership = election.leadership();
			long t1 = System.nanoTime();
			leadership.ifPresent((held) -> node.write("LEADING " + nodeId + " " + held.fencingToken() + " " + t0 + " " + t1));
			Thread.sleep(10);
		}
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
