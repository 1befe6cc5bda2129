package dev.grpcscale.cluster.consul;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.internal.ElectionRecords;
import dev.grpcscale.cluster.internal.ElectionTimer;
import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.internal.DaemonThreads;
import dev.grpcscale.test.consul.FakeConsulAgent;

/**
 * The parts of {@link ConsulLeaderElection} nodes on one {@link FakeConsulAgent}, wired as the election wires
 * them, for the direct tests of each part: one client, one scheduler, heartbeat 200 ms, election timeout 2 s, a
 * fixed clock. A fresh agent for each test: {@code @RegisterExtension final ConsulElectionParts parts = new
 * ConsulElectionParts();}.
 */
final class ConsulElectionParts implements BeforeEachCallback, AfterEachCallback {

	static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

	static final Duration LOCK_DELAY = Duration.ofSeconds(3);

	FakeConsulAgent agent;

	ConsulClient client;

	/** What the parts take for "the election is closed". */
	final AtomicBoolean closed = new AtomicBoolean();

	private ScheduledExecutorService scheduler;

	@Override
	public void beforeEach(ExtensionContext context) throws IOException {
		this.closed.set(false);
		this.scheduler = Executors
			.newSingleThreadScheduledExecutor(DaemonThreads.named("grpc-scale-consul-parts-test"));
		this.agent = new FakeConsulAgent();
		this.client = ConsulClient.create(ConsulConnection.builder()
			.host("127.0.0.1")
			.port(this.agent.port())
			.requestTimeout(Duration.ofSeconds(2))
			.build());
	}

	static LeaderElectionSettings settings(String nodeId) {
		return LeaderElectionSettings.builder()
			.nodeId(nodeId)
			.address("127.0.0.1:" + nodeId)
			.heartbeatInterval(Duration.ofMillis(200))
			.electionTimeout(Duration.ofSeconds(2))
			.clock(Clock.fixed(NOW, ZoneOffset.UTC))
			.build();
	}

	static ConsulElectionKeys keys(String nodeId) {
		return ConsulElectionKeys.of(settings(nodeId));
	}

	ConsulElectionView view(String nodeId) {
		return new ConsulElectionView(this.client, keys(nodeId),
				new ElectionRecords(LoggerFactory.getLogger(ConsulElectionParts.class), "Node " + nodeId));
	}

	ConsulLeaderLock lock(String nodeId, ConsulElectionView view) {
		return new ConsulLeaderLock(this.client, keys(nodeId), settings(nodeId), view, timer(), this.closed::get);
	}

	ConsulSessions sessions(String nodeId, ConsulLeaderLock lock) {
		return new ConsulSessions(this.client, keys(nodeId), settings(nodeId), ConsulLeaderElection.MIN_TTL,
				LOCK_DELAY, lock);
	}

	ConsulLeaderWatch watch(String nodeId, ConsulElectionView view) {
		return new ConsulLeaderWatch(this.client, keys(nodeId), settings(nodeId), view, timer());
	}

	/** A session of its own, created at once, bound to no election part. */
	ConsulSession session(String name) {
		return new ConsulSession(
				ConsulClient.await(this.client.session().create(name, ConsulLeaderElection.MIN_TTL, LOCK_DELAY)));
	}

	private ElectionTimer timer() {
		return new ElectionTimer(this.scheduler);
	}

	@Override
	public void afterEach(ExtensionContext context) {
		this.scheduler.shutdownNow();
		this.client.close();
		this.agent.close();
	}

}
