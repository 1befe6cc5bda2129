package dev.grpcscale.cluster.consul;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import tools.jackson.databind.json.JsonMapper;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.internal.ElectionTimer;
import dev.grpcscale.consul.ConsulClient;

/**
 * The leader key of a {@link ConsulLeaderElection}, acquired and released by a node's session.
 *
 * <p>{@link #acquire} is {@code PUT /v1/kv/<prefix>leader?acquire=<session>} with this node's candidacy
 * {@code {"nodeId":..,"address":..}}. Once Consul says the session got it, the key is read back
 * ({@code consistent}) to check the session still holds it, and its {@code ModifyIndex} is the fencing token:
 * the Raft index of the key's last write, so a later leader's acquisition is always higher, even after
 * {@code Behavior: delete} removed the key (which restarts {@code LockIndex}). A node that did not get the key
 * tries again when a blocking read sees the key change ({@link ConsulElectionView#leaderKeyChanged()}), or after
 * a heartbeat interval (a quarter second while the key looks free, as during a lock delay).
 *
 * <p>{@link #release} lets the key go without a lock delay ({@code ?release=<session>}).
 */
final class ConsulLeaderLock {

	private static final JsonMapper json = JsonMapper.shared();

	/** Pause before the next try while the leader key looks free (as during a lock delay). */
	static final Duration FREE_KEY_RETRY = Duration.ofMillis(250);

	private final ConsulClient client;

	private final String key;

	private final byte[] candidacy;

	private final Duration heartbeatInterval;

	private final ConsulElectionView view;

	private final ElectionTimer timer;

	private final BooleanSupplier closed;

	/**
	 * The lock of one node.
	 * @param client the election's client
	 * @param keys the node's keys
	 * @param settings the node's settings: its candidacy and heartbeat interval
	 * @param view the view whose leader key changes wake up a waiting campaign
	 * @param timer the election's timers
	 * @param closed whether the election is closed, which ends a campaign
	 */
	ConsulLeaderLock(ConsulClient client, ConsulElectionKeys keys, LeaderElectionSettings settings,
			ConsulElectionView view, ElectionTimer timer, BooleanSupplier closed) {
		this.client = client;
		this.key = keys.leader();
		this.candidacy = json.writeValueAsBytes(new Candidate(settings.nodeId(), settings.address()));
		this.heartbeatInterval = settings.heartbeatInterval();
		this.view = view;
		this.timer = timer;
		this.closed = closed;
	}

	/**
	 * Campaigns until the session holds the leader key.
	 * @param session the session
	 * @return the fencing token; fails when the session ended, the election closed or a request failed
	 */
	CompletableFuture<Long> acquire(ConsulSession session) {
		CompletableFuture<Long> result = new CompletableFuture<>();
		attempt(session, result);
		return result;
	}

	/** Releases the leader key if the session holds it; completes when Consul answered. */
	CompletableFuture<Boolean> release(ConsulSession session) {
		return this.client.kv().release(this.key, session.id());
	}

	private void attempt(ConsulSession session, CompletableFuture<Long> result) {
		if (result.isDone() || session.isEnded() || this.closed.getAsBoolean()) {
			result.completeExceptionally(new IllegalStateException(session + " ended"));
			return;
		}
		CompletableFuture<Void> changed = this.view.leaderKeyChanged();
		this.client.kv()
			.acquire(this.key, session.id(), this.candidacy)
			.thenCompose((acquired) -> {
				if (!acquired) {
					return CompletableFuture.completedFuture((Long) null);
				}
				return this.client.kv().get(this.key).thenApply((read) -> {
					ConsulClient.KvEntry entry = read.first();
					if (entry == null || !session.id().equals(entry.session())) {
						throw new IllegalStateException(
								"acquired " + this.key + ", but session " + session.id() + " no longer holds it");
					}
					return entry.modifyIndex();
				});
			})
			.whenComplete((token, ex) -> {
				if (ex != null) {
					result.completeExceptionally(ex);
				}
				else if (token != null) {
					result.complete(token);
				}
				else {
					// Held by another session, or in its lock delay: try again when the key changes, or later.
					Duration delay = (this.view.leader() == null) ? FREE_KEY_RETRY : this.heartbeatInterval;
					CompletableFuture<Void> later = new CompletableFuture<>();
					this.timer.schedule(() -> later.complete(null), delay);
					CompletableFuture.anyOf(changed, later).whenComplete((ignored, ignoredEx) -> {
						if (!result.isDone()) {
							attempt(session, result);
						}
					});
				}
			});
	}

	/** The JSON of the leader key. */
	record Candidate(String nodeId, String address) {
	}

}
