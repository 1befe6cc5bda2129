package dev.grpcscale.cluster.consul;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.consul.ConsulClient;

/**
 * The Consul sessions of one {@link ConsulLeaderElection} node, and its announcement bound to them.
 *
 * <p>{@link #open()} creates a session ({@code PUT /v1/session/create}: the election's TTL and lock delay,
 * {@code Behavior: delete}, no health checks) and announces the node under {@code members/<nodeId>}
 * ({@code {"nodeId":..,"address":..,"lastHeartbeat":..}}, acquired by the session so it goes with it);
 * {@link #renew} renews it ({@code PUT /v1/session/renew/<id>}, 404 meaning it is gone) and announces again;
 * {@link #close} releases the leader and member keys first, which sets no lock delay on them, then destroys
 * the session. A failed announcement is left to the next renewal.
 */
final class ConsulSessions {

	/** Logs under the election's name, where the Consul election has always logged. */
	private static final Logger logger = LoggerFactory.getLogger(ConsulLeaderElection.class);

	private static final JsonMapper json = JsonMapper.shared();

	private final ConsulClient client;

	private final ConsulElectionKeys keys;

	private final LeaderElectionSettings settings;

	private final Duration ttl;

	private final Duration lockDelay;

	private final ConsulLeaderLock lock;

	/**
	 * The sessions of one node.
	 * @param client the election's client
	 * @param keys the node's keys
	 * @param settings the node's settings: its id, address and clock
	 * @param ttl the sessions' TTL
	 * @param lockDelay the sessions' lock delay
	 * @param lock the leader key, released on close
	 */
	ConsulSessions(ConsulClient client, ConsulElectionKeys keys, LeaderElectionSettings settings, Duration ttl,
			Duration lockDelay, ConsulLeaderLock lock) {
		this.client = client;
		this.keys = keys;
		this.settings = settings;
		this.ttl = ttl;
		this.lockDelay = lockDelay;
		this.lock = lock;
	}

	/** Creates a session and announces this node on it. */
	CompletableFuture<ConsulSession> open() {
		return this.client.session()
			.create("grpc-scale " + this.keys.prefix() + " " + this.settings.nodeId(), this.ttl, this.lockDelay)
			.thenApply((id) -> {
				ConsulSession session = new ConsulSession(id);
				// The first announcement may find the member key still held by this node's previous session,
				// which is being closed: every renewal announces again.
				announce(session);
				return session;
			});
	}

	/**
	 * Renews a session, and announces this node again when it was renewed.
	 * @return {@code false} when Consul no longer knows the session
	 */
	CompletableFuture<Boolean> renew(ConsulSession session) {
		return this.client.session().renew(session.id()).thenApply((renewed) -> {
			if (renewed) {
				announce(session);
			}
			return renewed;
		});
	}

	/** Ends a session: releases its keys (a failure is logged and passed over), then destroys it. */
	CompletableFuture<Void> close(ConsulSession session) {
		session.end();
		// Releasing first sets no lock delay on the keys; destroying the session then removes nothing of ours.
		return this.lock.release(session)
			.thenCompose((ignored) -> this.client.kv().release(this.keys.member(), session.id()))
			.handle((ignored, ex) -> {
				if (ex != null) {
					logger.debug("Node {}: releasing keys of {} failed; destroying it", this.settings.nodeId(),
							session, ex);
				}
				return null;
			})
			.thenCompose((ignored) -> this.client.session().destroy(session.id()));
	}

	/** Rewrites this node's member key; failures are left to the next renewal. */
	private void announce(ConsulSession session) {
		byte[] body = json.writeValueAsBytes(new Announcement(this.settings.nodeId(), this.settings.address(),
				this.settings.clock().instant().toString()));
		this.client.kv().acquire(this.keys.member(), session.id(), body).whenComplete((acquired, ex) -> {
			if (ex != null || !acquired) {
				logger.debug("Node {}: announcing under {} failed ({}); trying again at the next renewal",
						this.settings.nodeId(), this.keys.member(),
						(ex != null) ? ex.toString() : "held by another session");
			}
		});
	}

	/** The JSON of a member key. */
	record Announcement(String nodeId, String address, String lastHeartbeat) {
	}

}
