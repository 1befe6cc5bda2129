package dev.grpcscale.cluster.etcd;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import ch.qos.logback.classic.Level;
import io.etcd.jetcd.Client;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeaderTask;
import dev.grpcscale.cluster.LeadershipSampler;

/**
 * One node of the chaos test, run as a process of its own: {@code ChaosNode <nodeId> <endpoints,...>
 * <historyFile> <heartbeatMillis> <electionTimeoutMillis> <namespace>}. It joins an
 * {@link EtcdLeaderElection} and appends to the history file, one {@code write} per line so that a kill -9
 * loses nothing written: every leadership event ({@code GRANTED/RENEWED/REVOKED node token at validUntil})
 * and, every 10 ms while {@code leadership()} is present, a probe {@code LEADING node token t0 t1}. On
 * SIGTERM it leaves (resigns) before exiting. Times are {@link System#nanoTime()}: one clock for every
 * process of the machine.
 *
 * <p>While it leads, a {@link LeaderTask} writes to an {@link EtcdFencedStore} under {@code <namespace>/fenced/}
 * every 50 ms with the token of the leadership it was started for (the node's own, never the highest seen),
 * logging {@code WRITE_SENT} before each write and {@code WRITE_OK/REJECTED/FAILED} after. When the task is
 * interrupted (leadership revoked) it sends one more write under the same token: the write a leader had on
 * its way when it was paused or cut off, which the store must reject once a newer leader has written. The
 * etcd endpoints given are the test's proxies, so a partition cuts the writes as well as the election.
 */
public final class ChaosNode {

	private static final long WRITE_INTERVAL_MILLIS = 50;

	private static final long WRITE_TIMEOUT_MILLIS = 2000;

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
		EtcdFencedStore store = new EtcdFencedStore(client.getKVClient(), args[5] + "/fenced/");
		LeaderTask task = LeaderTask.start(election, "fenced-writes", (token) -> node.writeWhileLeading(store, nodeId, token));
		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			task.close();
			election.close();
			client.close();
		}, "grpc-scale-chaos-node-shutdown"));
		election.join();
		LeadershipSampler.sampleUntilEnded(election, nodeId, node::write);
	}

	private void writeWhileLeading(EtcdFencedStore store, String nodeId, long token) {
		int sequence = 0;
		try {
			while (true) {
				fencedWrite(store, nodeId, token, sequence++);
				Thread.sleep(WRITE_INTERVAL_MILLIS);
			}
		}
		catch (InterruptedException ex) {
			// revoked: the write that was on its way, sent late under the old token
			try {
				fencedWrite(store, nodeId, token, sequence);
			}
			catch (InterruptedException again) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private void fencedWrite(EtcdFencedStore store, String nodeId, long token, int sequence)
			throws InterruptedException {
		String id = nodeId + "-" + token + "-" + sequence;
		String attempt = nodeId + " " + token + " " + id + " ";
		long t0 = System.nanoTime();
		write("WRITE_SENT " + attempt + t0);
		try {
			EtcdFencedStore.Result result = store.write(token, id).get(WRITE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
			long t1 = System.nanoTime();
			write(result.accepted() ? "WRITE_OK " + attempt + t0 + " " + t1 + " " + result.revision()
					: "WRITE_REJECTED " + attempt + t0 + " " + t1 + " " + result.highestToken());
		}
		catch (ExecutionException | TimeoutException ex) {
			write("WRITE_FAILED " + attempt + t0 + " " + System.nanoTime());
		}
		catch (InterruptedException ex) {
			write("WRITE_FAILED " + attempt + t0 + " " + System.nanoTime());
			throw ex;
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
