package dev.grpcscale.cluster;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.test.net.TcpProxy;

import static org.awaitility.Awaitility.await;

/**
 * Follows the history file the chaos tests' node processes append to (one line an event:
 * {@code UP <node>}, {@code GRANTED|RENEWED <node> <token> <from> <validUntilNanos>},
 * {@code REVOKED <node> <token> ...}): the latest lease each node logged, and which nodes are up. The
 * whole history is checked afterwards by {@link LeadershipHistoryChecker}; this only tells a running test
 * who leads now. Thread-safe.
 */
public final class ChaosHistoryTail {

	private final File file;

	private long offset;

	private final Map<String, long[]> latest = new HashMap<>();

	private final Map<String, Boolean> up = new HashMap<>();

	private final StringBuilder partial = new StringBuilder();

	/**
	 * Follows a history file.
	 * @param file the file the nodes append to
	 */
	public ChaosHistoryTail(Path file) {
		this.file = file.toFile();
	}

	/**
	 * Marks a node down until it logs {@code UP} again (its earlier {@code UP} lines are read first).
	 * @param node the node's id
	 * @throws IOException when the file cannot be read
	 */
	public synchronized void down(String node) throws IOException {
		currentLeader(System.nanoTime());
		this.up.put(node, false);
	}

	/**
	 * Whether every node named logged {@code UP} since it was last marked down.
	 * @param nodes the nodes' ids
	 * @return whether all are up
	 */
	public synchronized boolean allUp(String[] nodes) {
		for (String node : nodes) {
			if (!this.up.getOrDefault(node, false)) {
				return false;
			}
		}
		return true;
	}

	/**
	 * The node whose latest logged leadership is not revoked and still valid at {@code now}.
	 * @param now a {@link System#nanoTime()} reading
	 * @return the leader with the highest such token, or {@code null}
	 * @throws IOException when the file cannot be read
	 */
	public synchronized @Nullable Leader currentLeader(long now) throws IOException {
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
				case "UP" -> this.up.put(event[1], true);
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
			if (now - lease[1] < 0 && (best == null || lease[0] > best.token())) {
				best = new Leader(entry.getKey(), lease[0]);
			}
		}
		return best;
	}

	/**
	 * Waits until some node holds a leadership with a token above {@code token}, as its log shows.
	 * @param token the token to beat ({@link Long#MIN_VALUE} for any leader)
	 * @param atMost how long to wait
	 * @return that leader
	 * @throws AssertionError naming the history file when none comes in time
	 */
	public Leader awaitLeaderAfter(long token, Duration atMost) {
		try {
			return await().atMost(atMost)
				.pollInterval(Duration.ofMillis(10))
				.until(() -> currentLeader(System.nanoTime()), (leader) -> leader != null && leader.token() > token);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("no leader with a token above " + token + " within " + atMost + "; see "
					+ this.file.getParent(), ex);
		}
	}

	/**
	 * Waits until a leader logs a renewal of the leadership it holds: its lease valid beyond what was logged
	 * when this was called (at once when that leadership is no longer logged as held).
	 * @param leader the leader
	 * @param atMost how long to wait
	 * @throws IOException when the file cannot be read
	 * @throws AssertionError naming the history file when no renewal comes in time
	 */
	public void awaitRenewal(Leader leader, Duration atMost) throws IOException {
		long[] before = lease(leader);
		try {
			await().atMost(atMost).pollInterval(Duration.ofMillis(10)).until(() -> {
				long[] now = lease(leader);
				// no lease logged, or the leadership ended meanwhile: nothing to wait for
				return before == null || now == null || now[1] - before[1] > 0;
			});
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError(leader + " logged no renewal within " + atMost + "; see " + this.file.getParent(),
					ex);
		}
	}

	private synchronized long @Nullable [] lease(Leader leader) throws IOException {
		currentLeader(System.nanoTime());
		long[] lease = this.latest.get(leader.node());
		return (lease != null && lease[0] == leader.token()) ? lease.clone() : null;
	}

	/**
	 * Holds a fault for its length: a fault lasts a set time, not until a condition, so this (with
	 * {@link #holdUntil(long)}) is the chaos tests' one wait on the clock.
	 * @param length how long the fault lasts from now
	 * @throws InterruptedException if interrupted
	 */
	public static void hold(Duration length) throws InterruptedException {
		holdUntil(System.nanoTime() + length.toNanos());
	}

	/**
	 * Holds a fault until {@code nanos} ({@code System.nanoTime()}); returns at once if that has passed.
	 * @param nanos when the fault ends
	 * @throws InterruptedException if interrupted
	 */
	public static void holdUntil(long nanos) throws InterruptedException {
		long left = nanos - System.nanoTime();
		if (left > 0) {
			TimeUnit.NANOSECONDS.sleep(left);
		}
	}

	/**
	 * The {@code STOP} fault: freezes a process with {@code SIGSTOP} for {@code length} (the fault's length,
	 * not a wait for a condition), then resumes it with {@code SIGCONT}.
	 * @param process the node's process
	 * @param length how long it stays frozen
	 * @throws InterruptedException if interrupted while it is frozen (it is resumed all the same)
	 */
	public static void pause(Process process, Duration length) throws InterruptedException {
		signal(process.pid(), "STOP");
		try {
			hold(length);
		}
		finally {
			signal(process.pid(), "CONT");
		}
	}

	/**
	 * The partition faults: {@code PARTITION_DROP} resets a node's connections and refuses new ones,
	 * {@code PARTITION_BLACKHOLE} swallows their bytes; {@link TcpProxy#heal()} ends either.
	 * @param proxies the proxies between the node and what it must not reach
	 * @param kind {@code PARTITION_DROP} or {@code PARTITION_BLACKHOLE}
	 */
	public static void partition(List<TcpProxy> proxies, String kind) {
		for (TcpProxy proxy : proxies) {
			switch (kind) {
				case "PARTITION_DROP" -> proxy.drop();
				case "PARTITION_BLACKHOLE" -> proxy.blackhole();
				default -> throw new IllegalArgumentException("kind: " + kind
						+ " (expected: PARTITION_DROP or PARTITION_BLACKHOLE)");
			}
		}
	}

	/**
	 * Sends a signal to a process, as {@code kill -<signal> <pid>}.
	 * @param pid the process id
	 * @param signal the signal's name: {@code STOP}, {@code CONT}, {@code KILL}, {@code TERM}
	 */
	public static void signal(long pid, String signal) {
		try {
			new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * A node holding a leadership.
	 * @param node its id
	 * @param token its fencing token
	 */
	public record Leader(String node, long token) {
	}

}
