package dev.grpcscale.cluster.raft;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Raft group's replicated state: the leader's last heartbeat entry (its id, its application address, its
 * wall-clock time and how long ago it last heard from each member). The leader appends one entry per
 * renewal; committing it is how the leader confirms that a majority still follows it. Snapshots hold the last
 * heartbeat, so the log is purged as it grows.
 */
final class LeaderStateMachine extends BaseStateMachine {

	private static final Logger logger = LoggerFactory.getLogger(LeaderStateMachine.class);

	private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();

	private volatile @Nullable Heartbeat last;

	@Override
	public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
		super.initialize(server, groupId, raftStorage);
		this.storage.init(raftStorage);
		load(this.storage.loadLatestSnapshot());
	}

	@Override
	public void reinitialize() throws IOException {
		load(this.storage.loadLatestSnapshot());
	}

	@Override
	public SimpleStateMachineStorage getStateMachineStorage() {
		return this.storage;
	}

	@Override
	public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
		var entry = trx.getLogEntry();
		byte[] data = entry.getStateMachineLogEntry().getLogData().toByteArray();
		Heartbeat heartbeat = Heartbeat.decode(data, entry.getTerm());
		synchronized (this) {
			if (heartbeat != null) {
				this.last = heartbeat;
			}
			updateLastAppliedTermIndex(TermIndex.valueOf(entry));
		}
		return CompletableFuture.completedFuture(Message.EMPTY);
	}

	@Override
	public long takeSnapshot() throws IOException {
		TermIndex applied;
		Heartbeat heartbeat;
		synchronized (this) {
			applied = getLastAppliedTermIndex();
			heartbeat = this.last;
		}
		if (applied == null || applied.getIndex() < 0) {
			return -1;
		}
		File file = this.storage.getSnapshotFile(applied.getTerm(), applied.getIndex());
		byte[] content = (heartbeat != null) ? heartbeat.encode() : new byte[0];
		Files.write(file.toPath(), content);
		this.storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), null), applied));
		return applied.getIndex();
	}

	/** The last heartbeat entry applied, or {@code null} before any. */
	@Nullable Heartbeat lastHeartbeat() {
		return this.last;
	}

	private void load(@Nullable SingleFileSnapshotInfo snapshot) throws IOException {
		if (snapshot == null) {
			return;
		}
		File file = snapshot.getFile().getPath().toFile();
		if (!file.exists()) {
			logger.warn("Raft snapshot file {} is missing", file);
			return;
		}
		TermIndex applied = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(file);
		Heartbeat heartbeat = Heartbeat.decode(Files.readAllBytes(file.toPath()), applied.getTerm());
		synchronized (this) {
			this.last = heartbeat;
			updateLastAppliedTermIndex(applied);
		}
	}

	/**
	 * A leader's heartbeat entry.
	 * @param leaderId the leader's node id
	 * @param address the leader's application address
	 * @param at the leader's wall-clock time when it wrote the entry
	 * @param silenceMillis per member, how long before {@code at} the leader last heard from it
	 * @param term the term the entry was written in
	 */
	record Heartbeat(String leaderId, String address, Instant at, Map<String, Long> silenceMillis, long term) {

		byte[] encode() {
			StringBuilder text = new StringBuilder();
			text.append(this.leaderId).append('\t').append(this.address).append('\t').append(this.at.toEpochMilli());
			this.silenceMillis.forEach((id, millis) -> text.append('\n').append(id).append('\t').append(millis));
			return text.toString().getBytes(StandardCharsets.UTF_8);
		}

		static @Nullable Heartbeat decode(byte[] data, long term) {
			if (data.length == 0) {
				return null;
			}
			try {
				String[] lines = new String(data, StandardCharsets.UTF_8).split("\n");
				String[] head = lines[0].split("\t", -1);
				Map<String, Long> silence = new LinkedHashMap<>();
				for (int i = 1; i < lines.length; i++) {
					String[] member = lines[i].split("\t");
					silence.put(member[0], Long.parseLong(member[1]));
				}
				return new Heartbeat(head[0], head[1], Instant.ofEpochMilli(Long.parseLong(head[2])), silence, term);
			}
			catch (RuntimeException ex) {
				logger.warn("Skipping a Raft log entry that is not a grpc-scale heartbeat ({} bytes)", data.length);
				return null;
			}
		}

	}

}
