package dev.grpcscale.cluster;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;

/** A provider whose backend calls the test completes by hand; sessions are named {@code s1}, {@code s2}... */
final class ScriptedLeaderElection extends AbstractLeaderElection<String> {

	final Deque<CompletableFuture<String>> opens = new ArrayDeque<>();

	final Deque<CompletableFuture<Boolean>> renewals = new ArrayDeque<>();

	final Deque<CompletableFuture<Long>> campaigns = new ArrayDeque<>();

	final List<String> closed = new ArrayList<>();

	@Nullable LeaderInfo leader;

	ScriptedLeaderElection(LeaderElectionSettings settings) {
		super(settings);
	}

	@Override
	protected String provider() {
		return "scripted";
	}

	@Override
	protected CompletableFuture<String> openSession() {
		CompletableFuture<String> future = new CompletableFuture<>();
		this.opens.add(future);
		return future;
	}

	@Override
	protected CompletableFuture<Boolean> renewSession(String session) {
		CompletableFuture<Boolean> future = new CompletableFuture<>();
		this.renewals.add(future);
		return future;
	}

	@Override
	protected CompletableFuture<Long> campaign(String session) {
		CompletableFuture<Long> future = new CompletableFuture<>();
		this.campaigns.add(future);
		return future;
	}

	@Override
	protected CompletableFuture<Void> closeSession(String session) {
		this.closed.add(session);
		return CompletableFuture.completedFuture(null);
	}

	@Override
	protected List<MemberAnnouncement> announcedMembers() {
		return List.of();
	}

	@Override
	protected @Nullable LeaderInfo observedLeader() {
		if (this.leader != null) {
			return this.leader;
		}
		return leadership().map((held) -> new LeaderInfo(settings().nodeId(), "", held.fencingToken())).orElse(null);
	}

}
