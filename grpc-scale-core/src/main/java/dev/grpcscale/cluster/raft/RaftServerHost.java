package dev.grpcscale.cluster.raft;

import java.io.IOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.ExitUtils;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.LeaderElectionSettings;

/**
 * This node's Ratis server in the election's Raft group: built from the settings (the mapping the class
 * description of {@link RaftLeaderElection} states) and started on creation, asked for its division's state,
 * sent the leader's requests (a heartbeat entry, a leadership transfer), and closed once. A failure to start is
 * a {@link RaftStartupException} naming the port or the storage directory.
 *
 * <p>Thread-safe.
 */
final class RaftServerHost {

	/** Logs under the election's name, where these lines have always been logged. */
	private static final Logger logger = LoggerFactory.getLogger(RaftLeaderElection.class);

	/** Entries between two snapshots. */
	static final long SNAPSHOT_THRESHOLD = 1024;

	private final RaftNode self;

	private final Path storageDir;

	private final String bindAddress;

	private final RaftGroup group;

	private final RaftPeerId selfId;

	private final LeaderStateMachine stateMachine = new LeaderStateMachine();

	private final RaftServer server;

	private final ClientId clientId = ClientId.randomId();

	private final AtomicLong callIds = new AtomicLong();

	private final Object lifecycle = new Object();

	private volatile boolean closed;

	/**
	 * Builds and starts the Raft server: binds its port, opens or creates its storage.
	 * @throws RaftStartupException if the port is in use or the storage cannot be used
	 */
	RaftServerHost(LeaderElectionSettings settings, List<RaftNode> nodes, RaftNode self, Path storageDir,
			String bindAddress) {
		this.self = self;
		this.storageDir = storageDir;
		this.bindAddress = bindAddress;
		this.selfId = RaftPeerId.valueOf(self.nodeId());
		List<RaftPeer> peers = new ArrayList<>();
		for (RaftNode node : nodes) {
			peers.add(RaftPeer.newBuilder().setId(node.nodeId()).setAddress(node.address()).build());
		}
		this.group = RaftGroup.valueOf(groupId(settings), peers);
		// Ratis exits the JVM on some fatal errors, a Raft port that cannot be bound among them: make it throw.
		ExitUtils.disableSystemExit();
		RaftServer built;
		try {
			built = RaftServer.newBuilder()
				.setServerId(this.selfId)
				.setGroup(this.group)
				.setStateMachine(this.stateMachine)
				.setProperties(properties(settings, self, storageDir, bindAddress))
				.setOption(RaftStorage.StartupOption.RECOVER)
				.build();
		}
		catch (IOException | RuntimeException ex) {
			throw startFailure(ex);
		}
		try {
			built.start();
		}
		catch (IOException | RuntimeException ex) {
			try {
				built.close();
			}
			catch (IOException | RuntimeException closing) {
				ex.addSuppressed(closing);
			}
			throw startFailure(ex);
		}
		this.server = built;
		logger.info("Node {} started its Raft server on {}:{} (group {}, storage {})", self.nodeId(), bindAddress,
				self.port(), this.group.getGroupId(), storageDir);
	}

	RaftGroupId groupId() {
		return this.group.getGroupId();
	}

	RaftPeerId selfId() {
		return this.selfId;
	}

	/** The replicated state: the leader's last heartbeat entry. */
	LeaderStateMachine stateMachine() {
		return this.stateMachine;
	}

	boolean isClosed() {
		return this.closed;
	}

	/** This node's view of the group (role, term, leader, followers), or {@code null} once closed or unreadable. */
	@Nullable DivisionInfo info() {
		if (this.closed) {
			return null;
		}
		try {
			return this.server.getDivision(this.group.getGroupId()).getInfo();
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

	/**
	 * Appends an entry to the Raft log through this node (which must lead).
	 * @param entry the entry
	 * @param timeoutMillis how long Ratis may take to commit it
	 * @return the reply once committed or refused; failed if the server would not take the request
	 */
	CompletableFuture<RaftClientReply> append(byte[] entry, long timeoutMillis) {
		RaftClientRequest request = RaftClientRequest.newBuilder()
			.setClientId(this.clientId)
			.setServerId(this.selfId)
			.setGroupId(this.group.getGroupId())
			.setCallId(this.callIds.incrementAndGet())
			.setMessage(Message.valueOf(new String(entry, StandardCharsets.UTF_8)))
			.setType(RaftClientRequest.writeRequestType())
			.setTimeoutMs(timeoutMillis)
			.build();
		try {
			return this.server.submitClientRequestAsync(request);
		}
		catch (IOException | RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
	}

	/**
	 * Asks Ratis to transfer this node's leadership to {@code target}.
	 * @param target the node id to hand over to
	 * @param timeoutMillis how long the transfer may take
	 * @return the reply; failed if the server would not take the request
	 */
	CompletableFuture<RaftClientReply> transferLeadership(String target, long timeoutMillis) {
		TransferLeadershipRequest request = new TransferLeadershipRequest(this.clientId, this.selfId,
				this.group.getGroupId(), this.callIds.incrementAndGet(), RaftPeerId.valueOf(target), timeoutMillis);
		try {
			return this.server.transferLeadershipAsync(request);
		}
		catch (IOException | RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
	}

	/** Stops the Raft server; idempotent. A failure is logged. */
	void close() {
		synchronized (this.lifecycle) {
			if (!this.closed) {
				this.closed = true;
				try {
					this.server.close();
				}
				catch (IOException | RuntimeException ex) {
					logger.warn("Node {}: closing the Raft server failed", this.self.nodeId(), ex);
				}
			}
		}
	}

	private RuntimeException startFailure(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof BindException || String.valueOf(cause.getMessage()).contains("Address already in use")) {
				return new RaftStartupException(RaftStartupException.Reason.PORT_IN_USE,
						"bindAddress: " + this.bindAddress + ":" + this.self.port()
								+ " (expected: a free port for this node's Raft server; " + cause.getMessage() + ")",
						ex);
			}
		}
		return new RaftStartupException(RaftStartupException.Reason.STORAGE,
				"storageDir: " + this.storageDir + " (expected: a directory this node's Raft server can use; "
						+ ex.getMessage() + ")",
				ex);
	}

	static RaftGroupId groupId(LeaderElectionSettings settings) {
		String name = "grpc-scale/" + settings.namespace() + "/" + settings.electionName();
		return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)));
	}

	static RaftProperties properties(LeaderElectionSettings settings, RaftNode self, Path storageDir,
			String bindAddress) {
		RaftProperties properties = new RaftProperties();
		RaftServerConfigKeys.setStorageDir(properties, List.of(storageDir.toFile()));
		GrpcConfigKeys.Server.setHost(properties, bindAddress);
		GrpcConfigKeys.Server.setPort(properties, self.port());
		long timeout = settings.electionTimeout().toMillis();
		RaftServerConfigKeys.Rpc.setTimeoutMin(properties, TimeDuration.valueOf(timeout, TimeUnit.MILLISECONDS));
		RaftServerConfigKeys.Rpc.setTimeoutMax(properties, TimeDuration.valueOf(2 * timeout, TimeUnit.MILLISECONDS));
		RaftServerConfigKeys.Rpc.setRequestTimeout(properties, TimeDuration.valueOf(timeout, TimeUnit.MILLISECONDS));
		RaftServerConfigKeys.LeaderElection.setPreVote(properties, true);
		RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(properties,
				TimeDuration.valueOf(timeout, TimeUnit.MILLISECONDS));
		RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(properties, true);
		RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(properties, SNAPSHOT_THRESHOLD);
		RaftServerConfigKeys.Snapshot.setRetentionFileNum(properties, 2);
		RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(properties, true);
		RaftServerConfigKeys.Log.setSegmentSizeMax(properties, SizeInBytes.valueOf("1MB"));
		RaftServerConfigKeys.Log.setPreallocatedSize(properties, SizeInBytes.valueOf("64KB"));
		return properties;
	}

}
