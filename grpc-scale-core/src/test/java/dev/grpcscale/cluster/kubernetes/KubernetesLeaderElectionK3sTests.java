package dev.grpcscale.cluster.kubernetes;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.junit.jupiter.Testcontainers;

import dev.grpcscale.cluster.ClusterInfo;
import dev.grpcscale.cluster.ClusterMember;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeadershipEvent;
import dev.grpcscale.test.junit.CloseAfterEach;
import dev.grpcscale.test.kubernetes.K3sCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link KubernetesLeaderElection} against a real Kubernetes API server (k3s in a container, {@link K3sCluster},
 * shared with the discovery's k3s tests): its validation of the Leases written, its {@code resourceVersion}
 * conflicts and label selectors. Skipped where no Docker engine is available ({@code CI=true} included);
 * {@link KubernetesLeaderElectionTests} covers the same and more on fabric8's mock API server. Each test writes
 * in a namespace of its own. Heartbeat 200 ms, election timeout (so {@code leaseDurationSeconds}) 30 s: what
 * happens within {@link #WELL_BEFORE_LAPSE} was not caused by a lease lapsing.
 */
@Testcontainers(disabledWithoutDocker = true)
class KubernetesLeaderElectionK3sTests {

	private static final String LEASE = "grpc-scale-default";

	private static final Duration HEARTBEAT = Duration.ofMillis(200);

	private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(30);

	/** Half the lease duration. */
	private static final Duration WELL_BEFORE_LAPSE = Duration.ofSeconds(15);

	/** For what no lapse is involved in: a slow machine's API server. */
	private static final Duration WAIT = Duration.ofSeconds(60);

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private KubernetesClient admin;

	private String namespace;

	@BeforeEach
	void createNamespace() {
		this.admin = this.resources.track(K3sCluster.newClient());
		this.namespace = K3sCluster.createNamespace(this.admin, "election");
	}

	@Test
	void twoElectionsInOneNamespaceElectExactlyOneLeaderAndBothSeeBothMembers() {
		KubernetesLeaderElection first = start("orders-1");
		KubernetesLeaderElection second = start("orders-2");
		await().atMost(WAIT).until(() -> first.isLeader() ^ second.isLeader());
		KubernetesLeaderElection leader = first.isLeader() ? first : second;
		String leaderId = leader.settings().nodeId();
		long token = leader.leadership().orElseThrow().fencingToken();
		assertThat(token).isPositive();
		Lease taken = lease(LEASE);
		assertThat(taken.getSpec().getHolderIdentity()).isEqualTo(leaderId);
		assertThat(taken.getSpec().getLeaseTransitions()).isEqualTo((int) token);
		assertThat(taken.getSpec().getLeaseDurationSeconds()).isEqualTo(30);
		assertThat(taken.getMetadata().getLabels()).containsEntry(LeaseNames.ELECTION_LABEL, LEASE)
			.containsEntry(LeaseNames.ROLE_LABEL, LeaseNames.ROLE_LEADER);
		await().atMost(WAIT).untilAsserted(() -> {
			for (KubernetesLeaderElection node : List.of(first, second)) {
				ClusterInfo info = node.clusterInfo();
				assertThat(info.provider()).isEqualTo("kubernetes");
				assertThat(info.leader()).isNotNull();
				assertThat(info.leader().nodeId()).isEqualTo(leaderId);
				assertThat(info.leader().fencingToken()).isEqualTo(token);
				assertThat(info.nodes()).extracting(ClusterMember::nodeId).containsExactly("orders-1", "orders-2");
				assertThat(info.nodes()).extracting(ClusterMember::address)
					.containsExactly("10.0.0.1:9090", "10.0.0.2:9090");
			}
		});
		// The API server accepts the renewals (conditional updates): renewTime moves on, holder and token stay.
		ZonedDateTime firstRenewal = taken.getSpec().getRenewTime();
		await().atMost(WAIT).untilAsserted(() -> {
			Lease renewed = lease(LEASE);
			assertThat(renewed.getSpec().getRenewTime()).isAfter(firstRenewal);
			assertThat(renewed.getSpec().getHolderIdentity()).isEqualTo(leaderId);
			assertThat(renewed.getSpec().getLeaseTransitions()).isEqualTo((int) token);
		});
		await().during(Duration.ofSeconds(2))
			.atMost(Duration.ofSeconds(5))
			.until(() -> first.isLeader() ^ second.isLeader());
		assertThat(leader.isLeader()).isTrue();
		assertThat(lease(first.memberLeaseName()).getSpec().getHolderIdentity()).isEqualTo("orders-1");
		assertThat(lease(second.memberLeaseName()).getSpec().getHolderIdentity()).isEqualTo("orders-2");
	}

	@Test
	void gracefulLeaveHandsOverWithAHigherFencingTokenLongBeforeTheLeaseCouldLapse() {
		KubernetesLeaderElection first = start("orders-1");
		await().atMost(WAIT).until(first::isLeader);
		KubernetesLeaderElection second = start("orders-2");
		long firstToken = first.leadership().orElseThrow().fencingToken();
		await().atMost(WAIT)
			.untilAsserted(() -> assertThat(second.members()).extracting(ClusterMember::nodeId).contains("orders-1"));
		assertThat(second.isLeader()).isFalse();

		first.close();
		// released: no holder, unless the second node, reading every 200 ms, took it already
		assertThat(lease(LEASE).getSpec().getHolderIdentity()).isNotEqualTo("orders-1");
		assertThat(lease(first.memberLeaseName())).isNull();
		await().atMost(WELL_BEFORE_LAPSE).until(second::isLeader);
		long secondToken = second.leadership().orElseThrow().fencingToken();
		assertThat(secondToken).isGreaterThan(firstToken);
		Lease taken = lease(LEASE);
		assertThat(taken.getSpec().getHolderIdentity()).isEqualTo("orders-2");
		assertThat(taken.getSpec().getLeaseTransitions()).isEqualTo((int) secondToken);
		assertThat(taken.getSpec().getLeaseDurationSeconds()).isEqualTo(30);
		await().atMost(WAIT)
			.untilAsserted(() -> assertThat(second.members()).extracting(ClusterMember::nodeId)
				.containsExactly("orders-2"));
	}

	@Test
	void stepsDownWhenSomeoneElseWritesTheLease() {
		KubernetesLeaderElection leader = start("orders-1");
		List<LeadershipEvent> events = new CopyOnWriteArrayList<>();
		leader.addListener(events::add);
		await().atMost(WAIT).until(leader::isLeader);
		long token = leader.leadership().orElseThrow().fencingToken();

		String intruders = writeOverTheLeader((lease) -> {
			lease.getSpec().setHolderIdentity("intruder");
			lease.getSpec().setLeaseTransitions((int) token + 1);
		});

		await().atMost(WELL_BEFORE_LAPSE).until(() -> !leader.isLeader());
		assertThat(events).extracting(LeadershipEvent::type)
			.containsSubsequence(LeadershipEvent.Type.GRANTED, LeadershipEvent.Type.REVOKED);
		// It does not write over the intruder's fresh Lease: that one expires only after 30 s unchanged.
		await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> !leader.isLeader());
		Lease after = lease(LEASE);
		assertThat(after.getMetadata().getResourceVersion()).isEqualTo(intruders);
		assertThat(after.getSpec().getHolderIdentity()).isEqualTo("intruder");
	}

	/** An election joined on a client of its own (one application's), in this test's namespace. */
	private KubernetesLeaderElection start(String nodeId) {
		KubernetesClient client = this.resources.track(K3sCluster.newClient());
		LeaderElectionSettings settings = LeaderElectionSettings.builder()
			.nodeId(nodeId)
			.address("10.0.0." + nodeId.substring(nodeId.length() - 1) + ":9090")
			.heartbeatInterval(HEARTBEAT)
			.electionTimeout(ELECTION_TIMEOUT)
			.build();
		KubernetesLeaderElection election = this.resources.track(
				KubernetesLeaderElection.builder().client(client).namespace(this.namespace).settings(settings).build());
		assertThat(election.namespace()).isEqualTo(this.namespace);
		election.join();
		return election;
	}

	/**
	 * Changes the election Lease as another writer would, on the version it read; a renewal of the leader
	 * landing between the read and the write makes the API server answer 409, and this reads and tries again.
	 * @return the version written
	 */
	private String writeOverTheLeader(Consumer<Lease> change) {
		AtomicReference<String> written = new AtomicReference<>();
		await().atMost(WAIT).until(() -> {
			Lease lease = lease(LEASE);
			change.accept(lease);
			try {
				written.set(this.admin.leases()
					.inNamespace(this.namespace)
					.resource(lease)
					.update()
					.getMetadata()
					.getResourceVersion());
				return true;
			}
			catch (KubernetesClientException ex) {
				if (ex.getCode() != 409) {
					throw ex;
				}
				return false;
			}
		});
		return written.get();
	}

	/** The Lease, {@code null} when absent. */
	private Lease lease(String name) {
		return this.admin.leases().inNamespace(this.namespace).withName(name).get();
	}

}
