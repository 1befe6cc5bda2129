package dev.grpcscale.cluster.consul;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.cluster.LeaderInfo;
import dev.grpcscale.cluster.MemberAnnouncement;
import dev.grpcscale.cluster.internal.ElectionRecords;
import dev.grpcscale.consul.ConsulClient;

/**
 * What a {@link ConsulLeaderElection} node knows of its election's keys: the members and the leader, each read
 * with the Consul index it was read at, so that a slow read never overwrites a newer one. Filled by
 * {@link #refresh() full reads} of the election's prefix and by the {@link #leaderKeyRead blocking reads} of
 * the leader key, which also wake up a campaign waiting for the key to change ({@link #leaderKeyChanged()}).
 * A key whose session is gone is neither a leader nor a member; records that are not grpc-scale's are skipped
 * by {@link ElectionRecords} (one warning per key). Thread-safe; reads never block.
 */
final class ConsulElectionView {

	private final ConsulClient client;

	private final ConsulElectionKeys keys;

	private final ElectionRecords records;

	private final AtomicReference<CompletableFuture<Void>> leaderKeyChanged = new AtomicReference<>(
			new CompletableFuture<>());

	private volatile View view = new View(-1, List.of(), null);

	ConsulElectionView(ConsulClient client, ConsulElectionKeys keys, ElectionRecords records) {
		this.client = client;
		this.keys = keys;
		this.records = records;
	}

	/** The members that announced themselves, as last read. */
	List<MemberAnnouncement> members() {
		return this.view.members();
	}

	/** The leader as last read, or {@code null}: none, or a record that is not a candidacy. */
	@Nullable LeaderInfo leader() {
		return this.view.leader();
	}

	/** Completes at the next change of the leader key a blocking read sees. */
	CompletableFuture<Void> leaderKeyChanged() {
		return this.leaderKeyChanged.get();
	}

	/** Reads members and leader ({@code GET /v1/kv/<prefix>?recurse}). */
	CompletableFuture<Void> refresh() {
		return this.client.kv().list(this.keys.prefix()).thenAccept((read) -> {
			this.records.retain(read.entries().stream().map(ConsulClient.KvEntry::key).toList());
			List<MemberAnnouncement> members = new ArrayList<>();
			LeaderInfo leader = null;
			for (ConsulClient.KvEntry entry : read.entries()) {
				if (entry.session().isEmpty()) {
					continue;
				}
				if (this.keys.isMember(entry.key())) {
					MemberAnnouncement announcement = this.records.member(entry.key(), entry.modifyIndex(),
							entry.value().getBytes(StandardCharsets.UTF_8));
					if (announcement != null) {
						members.add(announcement);
					}
				}
				else if (entry.key().equals(this.keys.leader())) {
					leader = leaderOf(entry);
				}
			}
			long index = read.index();
			LeaderInfo observed = leader;
			update(index, (current) -> new View(index, List.copyOf(members), observed));
		});
	}

	/**
	 * Takes a blocking read of the leader key that returned a new index: records its leader and wakes up whoever
	 * waits on {@link #leaderKeyChanged()}.
	 * @param index the index the read returned
	 * @param entry the leader key, {@code null} when there is none
	 */
	void leaderKeyRead(long index, ConsulClient.@Nullable KvEntry entry) {
		LeaderInfo leader = (entry != null && !entry.session().isEmpty()) ? leaderOf(entry) : null;
		update(index, (current) -> new View(index, current.members(), leader));
		this.leaderKeyChanged.getAndSet(new CompletableFuture<>()).complete(null);
	}

	private synchronized void update(long index, UnaryOperator<View> next) {
		// A slow read must not overwrite a newer one.
		if (index >= this.view.index()) {
			this.view = next.apply(this.view);
		}
	}

	private @Nullable LeaderInfo leaderOf(ConsulClient.KvEntry entry) {
		ElectionRecords.Candidate candidate = this.records.candidate(entry.key(), entry.modifyIndex(),
				entry.value().getBytes(StandardCharsets.UTF_8));
		return (candidate != null) ? new LeaderInfo(candidate.nodeId(), candidate.address(), entry.modifyIndex())
				: null;
	}

	private record View(long index, List<MemberAnnouncement> members, @Nullable LeaderInfo leader) {
	}

}
