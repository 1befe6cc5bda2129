package dev.grpcscale.cluster.kubernetes;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.cluster.LeaderSample;
import dev.grpcscale.cluster.Leadership;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeadershipHistoryChecker;
import dev.grpcscale.test.junit.CloseAfterEach;
import dev.grpcscale.test.net.TcpProxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three nodes in this JVM, each reaching fabric8's CRUD mock API server through a TCP proxy of its own; the leader
 * is cut off (blackholed: its requests hang) three times over. Every node records its leadership events and a
 * probe records what {@code leadership()} said, on one clock ({@link System#nanoTime()}), and
 * {@link LeadershipHistoryChecker} proves that no two leaderships overlapped, that fencing tokens
 * ({@code leaseTransitions}) grew from one leader to the next, and that each cut was followed by a new leader.
 * Heartbeat 200 ms, election timeout 2 s (lease duration 2 s).
 */
class KubernetesLeaderElectionChaosTests {

	private static final int ROUNDS = 3;

	private static final Duration MAX_FAILOVER = Duration.ofSeconds(30);

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	@Test
	void leadershipsNeverOverlapAndTokensGrowWhenLeadersAreCutOffFromTheApiServer() {
		MockKubernetesApi api = this.resources.track(new MockKubernetesApi());
		List<String> history = new CopyOnWriteArrayList<>();
		List<KubernetesLeaderElection> nodes = new ArrayList<>();
		List<TcpProxy> proxies = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			TcpProxy proxy = this.resources.track(TcpProxy.start(new InetSocketAddress("127.0.0.1", api.port())));
			LeaderElectionSettings settings = LeaderElectionSettings.builder()
				.nodeId("n" + i)
				.heartbeatInterval(Duration.ofMillis(200))
				.electionTimeout(Duration.ofSeconds(2))
				.build();
			KubernetesLeaderElection node = KubernetesLeaderElection.builder()
				.client(api.clientOn("127.0.0.1", proxy.port()))
				.settings(settings)
				.build();
			this.resources.track(node);
			node.addListener((event) -> history.add(event.type() + " " + event.nodeId() + " " + event.fencingToken()
					+ " " + event.atNanos() + " " + event.validUntilNanos()));
			nodes.add(node);
			proxies.add(proxy);
		}
		ScheduledExecutorService probe = Executors.newSingleThreadScheduledExecutor();
		this.resources.track(probe::shutdownNow);
		probe.scheduleWithFixedDelay(() -> {
			for (KubernetesLeaderElection node : nodes) {
				long before = System.nanoTime();
				Optional<Leadership> leadership = node.leadership();
				long after = System.nanoTime();
				leadership.ifPresent((held) -> history.add("LEADING " + node.settings().nodeId() + " "
						+ held.fencingToken() + " " + before + " " + after));
			}
		}, 0, 20, TimeUnit.MILLISECONDS);
		nodes.forEach(KubernetesLeaderElection::join);

		long previousToken = 0;
		int cuts = 0;
		while (cuts < ROUNDS) {
			long lastToken = previousToken;
			LeaderSample.Held<KubernetesLeaderElection> leader = await().atMost(MAX_FAILOVER)
				.until(() -> LeaderSample.leaderAmong(nodes).filter((held) -> held.fencingToken() > lastToken),
						Optional::isPresent)
				.get();
			int index = nodes.indexOf(leader.election());
			long at = System.nanoTime();
			if (!leader.election().leadership().filter((held) -> held.fencingToken() == leader.fencingToken())
				.isPresent()) {
				// it lost that leadership (its renewals stalled past the lease on a busy machine) before the cut:
				// no fault of a leader this round, wait for the next one
				previousToken = leader.fencingToken();
				continue;
			}
			// seen leading after "at": its leadership spans the fault, as the checker needs
			history.add("FAULT PARTITION_BLACKHOLE n" + index + " " + at);
			proxies.get(index).blackhole();
			long cutToken = leader.fencingToken();
			previousToken = cutToken;
			await().atMost(MAX_FAILOVER)
				.until(() -> nodes.stream()
					.anyMatch((node) -> node.leadership().filter((held) -> held.fencingToken() > cutToken).isPresent()));
			proxies.get(index).heal();
			cuts++;
		}
		probe.shutdownNow();
		nodes.forEach(KubernetesLeaderElection::close);

		LeadershipHistoryChecker.Report report = new LeadershipHistoryChecker(MAX_FAILOVER).addAll(history).check();
		System.out.println("FAILOVER kubernetes PARTITION_BLACKHOLE -> new leader "
				+ report.failovers("PARTITION_BLACKHOLE"));
		report.assertValid();
		assertThat(report.failovers("PARTITION_BLACKHOLE")).hasSize(ROUNDS);
		assertThat(report.intervals()).hasSizeGreaterThanOrEqualTo(ROUNDS + 1);
	}

}
