package dev.grpcscale.cluster.kubernetes;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.cluster.ClusterInfo;
import dev.grpcscale.cluster.ClusterMember;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeadershipEvent;
import dev.grpcscale.test.junit.CloseAfterEach;
import dev.grpcscale.test.net.TcpProxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * {@link KubernetesLeaderElection} against fabric8's Kubernetes API mock server in CRUD mode, which keeps the
 * Leases and refuses a write on a stale {@code resourceVersion} with 409 as the API server does. No real
 * cluster runs here. Heartbeat 200 ms; election timeouts of 2 s where a lease must lapse, 30 s where a test
 * proves something happened long before a lapse could explain it.
 */
class KubernetesLeaderElectionTests {

	private static final String LEASE = "grpc-scale-default";

	private static final Duration HEARTBEAT = Duration.ofMillis(200);

	private static final Duration SHORT_TIMEOUT = Duration.ofSeconds(2);

	private static final Duration LONG_TIMEOUT = Duration.ofSeconds(30);

	/** Well inside {@link #LONG_TIMEOUT}: what happens within it was not caused by a lease lapsing. */
	private static final Duration WELL_BEFORE_LAPSE = Duration.ofSeconds(10);

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private MockKubernetesApi api;

	private KubernetesClient admin;

	@BeforeEach
	void startApiServer() {
		this.api = this.resources.track(new MockKubernetesApi());
		this.admin = this.api.newClient();
	}

	@Test
	void twoApplicationsElectExactlyOneLeaderAndSeeBothMembers() {
		KubernetesLeaderElection first = start("orders-1", LONG_TIMEOUT, this.api.newClient());
		KubernetesLeaderElection second = start("orders-2", LONG_TIMEOUT, this.api.newClient());
		await().atMost(Duration.ofSeconds(20)).until(() -> first.isLeader() ^ second.isLeader());
		KubernetesLeaderElection leader = first.isLeader() ? first : second;
		long token = leader.leadership().orElseThrow().fencingToken();
		Lease lease = lease(LEASE);
		assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(leader.settings().nodeId());
		assertThat(lease.getSpec().getLeaseTransitions()).isEqualTo((int) token);
		assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(30);
		await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
			for (KubernetesLeaderElection node : List.of(first, second)) {
				ClusterInfo info = node.clusterInfo();
				assertThat(info.provider()).isEqualTo("kubernetes");
				assertThat(info.leader()).isNotNull();
				assertThat(info.leader().nodeId()).isEqualTo(leader.settings().nodeId());
				assertThat(info.leader().fencingToken()).isEqualTo(token);
				assertThat(info.nodes()).extracting(ClusterMember::nodeId).containsExactly("orders-1", "orders-2");
				assertThat(info.nodes()).extracting(ClusterMember::address)
					.containsExactly("10.0.0.1:9090", "10.0.0.2:9090");
			}
		});
		await().during(Duration.ofSeconds(2))
			.atMost(Duration.ofSeconds(5))
			.until(() -> first.isLeader() ^ second.isLeader());
		assertThat(lease(first.memberLeaseName()).getSpec().getHolderIdentity()).isEqualTo("orders-1");
	}

	@Test
	void takesOverAnExpiredLeaseWithAHigherTokenJudgingExpiryByItsOwnClockNotRenewTime() {
		// A holder that keeps renewing, with a renewTime far in the past by every wall clock: it is alive.
		AtomicInteger renewals = new AtomicInteger();
		ScheduledExecutorService foreignHolder = holdAndRenew("crashed-pod", 7, renewals);
		KubernetesLeaderElection candidate = start("orders-1", SHORT_TIMEOUT, this.api.newClient());
		await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(10)).until(() -> !candidate.isLeader());
		assertThat(renewals.get()).isGreaterThan(5);
		assertThat(lease(LEASE).getSpec().getHolderIdentity()).isEqualTo("crashed-pod");

		foreignHolder.shutdownNow();
		await().atMost(Duration.ofSeconds(20)).until(candidate::isLeader);
		assertThat(candidate.leadership().orElseThrow().fencingToken()).isEqualTo(8);
		Lease lease = lease(LEASE);
		assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("orders-1");
		assertThat(lease.getSpec().getLeaseTransitions()).isEqualTo(8);
		assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(2);
	}

	@Test
	void stepsDownWhenSomeoneElseUpdatesTheLeaseBetweenRenewals() {
		KubernetesLeaderElection leader = start("orders-1", LONG_TIMEOUT, this.api.newClient());
		List<LeadershipEvent> events = new CopyOnWriteArrayList<>();
		leader.addListener(events::add);
		await().atMost(Duration.ofSeconds(20)).until(leader::isLeader);
		long token = leader.leadership().orElseThrow().fencingToken();

		writeOverTheLeader((lease) -> {
			lease.getSpec().setHolderIdentity("intruder");
			lease.getSpec().setLeaseTransitions((int) token + 1);
		});

		await().atMost(WELL_BEFORE_LAPSE).until(() -> !leader.isLeader());
		assertThat(events).extracting(LeadershipEvent::type)
			.containsSubsequence(LeadershipEvent.Type.GRANTED, LeadershipEvent.Type.REVOKED);
		// It does not write over the intruder's fresh Lease: that one expires only after 30 s unchanged.
		await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> !leader.isLeader());
		assertThat(lease(LEASE).getSpec().getHolderIdentity()).isEqualTo("intruder");
	}

	@Test
	void waitsForTheExpiryOfALeaseAnotherProcessHoldsUnderTheSameNodeId() {
		// for example a StatefulSet pod restarted under its name while the old process still renews
		AtomicInteger renewals = new AtomicInteger();
		ScheduledExecutorService otherProcess = holdAndRenew("orders-1", 3, renewals);
		KubernetesLeaderElection candidate = start("orders-1", SHORT_TIMEOUT, this.api.newClient());
		await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(8)).until(() -> !candidate.isLeader());
		assertThat(renewals.get()).isGreaterThan(3);

		otherProcess.shutdownNow();
		await().atMost(Duration.ofSeconds(20)).until(candidate::isLeader);
		assertThat(candidate.leadership().orElseThrow().fencingToken()).isEqualTo(4);
	}

	@Test
	void aRenewalAnsweredWithAConflictByAnotherHoldersWriteReportsTheSessionLostAndOverwritesNothing() {
		// The backend calls alone, without the engine (not joined): the renewal path, not the periodic read,
		// must notice the other holder.
		KubernetesLeaderElection election = this.resources.track(KubernetesLeaderElection.builder()
			.client(this.api.newClient())
			.settings(LeaderElectionSettings.builder()
				.nodeId("orders-1")
				.heartbeatInterval(HEARTBEAT)
				.electionTimeout(LONG_TIMEOUT)
				.build())
			.build());
		KubernetesSession session = election.openSession().join();
		long token = election.campaign(session).join();
		assertThat(election.renewSession(session).join()).isTrue();

		Lease lease = lease(LEASE);
		lease.getSpec().setHolderIdentity("intruder");
		lease.getSpec().setLeaseTransitions((int) token + 1);
		String intruders = this.admin.leases().resource(lease).update().getMetadata().getResourceVersion();

		assertThat(election.renewSession(session).join()).isFalse();
		Lease after = lease(LEASE);
		assertThat(after.getMetadata().getResourceVersion()).isEqualTo(intruders);
		assertThat(after.getSpec().getHolderIdentity()).isEqualTo("intruder");
		// closing the lost session does not release the intruder's Lease either
		election.closeSession(session).join();
		assertThat(lease(LEASE).getMetadata().getResourceVersion()).isEqualTo(intruders);
	}

	@Test
	void renewsOnlyOnTheVersionItReadSoALabelAddedMeanwhileSurvivesAndLeadershipStays() {
		KubernetesLeaderElection leader = start("orders-1", LONG_TIMEOUT, this.api.newClient());
		await().atMost(Duration.ofSeconds(20)).until(leader::isLeader);
		long token = leader.leadership().orElseThrow().fencingToken();
		String labelled = writeOverTheLeader((lease) -> lease.getMetadata().getLabels().put("team", "checkout"));

		// The next renewal, on the version before the label, is refused (409); the leader re-reads the Lease,
		// finds itself still holder with its token, and renews on the new version, keeping the label. A write
		// without the version condition would have replaced the Lease and dropped the label.
		await().atMost(Duration.ofSeconds(10))
			.until(() -> !lease(LEASE).getMetadata().getResourceVersion().equals(labelled));
		Lease renewed = lease(LEASE);
		assertThat(renewed.getMetadata().getLabels()).containsEntry("team", "checkout")
			.containsEntry(LeaseNames.ELECTION_LABEL, LEASE);
		assertThat(renewed.getSpec().getHolderIdentity()).isEqualTo("orders-1");
		assertThat(leader.isLeader()).isTrue();
		assertThat(leader.leadership().orElseThrow().fencingToken()).isEqualTo(token);
	}

	@Test
	void gracefulLeaveHandsOverLongBeforeTheLeaseCouldLapse() {
		KubernetesLeaderElection first = start("orders-1", LONG_TIMEOUT, this.api.newClient());
		await().atMost(Duration.ofSeconds(20)).until(first::isLeader);
		KubernetesLeaderElection second = start("orders-2", LONG_TIMEOUT, this.api.newClient());
		long firstToken = first.leadership().orElseThrow().fencingToken();
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(second.members()).extracting(ClusterMember::nodeId).contains("orders-1"));

		first.close();
		assertThat(lease(LEASE).getSpec().getHolderIdentity()).isNull();
		assertThat(this.admin.leases().withName(first.memberLeaseName()).get()).isNull();
		await().atMost(WELL_BEFORE_LAPSE).until(second::isLeader);
		assertThat(second.leadership().orElseThrow().fencingToken()).isGreaterThan(firstToken);
		assertThat(lease(LEASE).getSpec().getHolderIdentity()).isEqualTo("orders-2");
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(second.members()).extracting(ClusterMember::nodeId)
				.containsExactly("orders-2"));
	}

	@Test
	void stepsDownWhenTheApiServerIsUnreachableLongerThanTheLeaseAndLeadsAgainWithAHigherToken() {
		TcpProxy proxy = this.resources.track(TcpProxy.start(new InetSocketAddress("127.0.0.1", this.api.port())));
		KubernetesLeaderElection leader = start("orders-1", SHORT_TIMEOUT, this.api.clientOn("127.0.0.1", proxy.port()));
		await().atMost(Duration.ofSeconds(20)).until(leader::isLeader);
		long token = leader.leadership().orElseThrow().fencingToken();

		proxy.blackhole();
		await().atMost(Duration.ofSeconds(10)).until(() -> !leader.isLeader());
		await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> !leader.isLeader());

		proxy.heal();
		await().atMost(Duration.ofSeconds(30)).until(leader::isLeader);
		assertThat(leader.leadership().orElseThrow().fencingToken()).isGreaterThan(token);
	}

	@Test
	void rejectsAnElectionNameThatIsNoLeaseName() {
		LeaderElectionSettings settings = LeaderElectionSettings.builder().electionName("a".repeat(60)).build();
		assertThatIllegalArgumentException()
			.isThrownBy(() -> KubernetesLeaderElection.builder().client(this.admin).settings(settings).build())
			.withMessageStartingWith("leaseName: 'grpc-scale-aaaa")
			.withMessageContaining("(expected: at most 63 characters");
		assertThatIllegalArgumentException().isThrownBy(() -> KubernetesLeaderElection.builder().namespace("Shop"))
			.withMessageStartingWith("namespace: 'Shop' (expected: ");
	}

	@Test
	void leaseDurationIsTheElectionTimeoutRoundedUpToWholeSeconds() {
		assertThat(KubernetesLeaderElection.leaseDurationSeconds(Duration.ofMillis(1500))).isEqualTo(2);
		assertThat(KubernetesLeaderElection.leaseDurationSeconds(Duration.ofSeconds(15))).isEqualTo(15);
		assertThat(KubernetesLeaderElection.leaseDurationSeconds(Duration.ofMillis(100))).isEqualTo(1);
		KubernetesLeaderElection election = KubernetesLeaderElection.builder()
			.client(this.admin)
			.settings(LeaderElectionSettings.builder().heartbeatInterval(HEARTBEAT).electionTimeout(Duration.ofMillis(2500)).build())
			.build();
		this.resources.track(election);
		assertThat(election.leaseDuration()).isEqualTo(Duration.ofSeconds(3));
		assertThat(election.namespace()).isEqualTo(MockKubernetesApi.NAMESPACE);
	}

	private KubernetesLeaderElection start(String nodeId, Duration electionTimeout, KubernetesClient client) {
		LeaderElectionSettings settings = LeaderElectionSettings.builder()
			.nodeId(nodeId)
			.address("10.0.0." + nodeId.substring(nodeId.length() - 1) + ":9090")
			.heartbeatInterval(HEARTBEAT)
			.electionTimeout(electionTimeout)
			.build();
		KubernetesLeaderElection election = this.resources
			.track(KubernetesLeaderElection.builder().client(client).settings(settings).build());
		election.join();
		return election;
	}

	/**
	 * Changes the election Lease as another writer would, on the version it read; a renewal of the leader
	 * landing between the read and the write makes it read and try again.
	 * @return the version written
	 */
	private String writeOverTheLeader(Consumer<Lease> change) {
		AtomicReference<String> written = new AtomicReference<>();
		await().atMost(Duration.ofSeconds(10)).until(() -> {
			Lease lease = lease(LEASE);
			change.accept(lease);
			try {
				written.set(this.admin.leases().resource(lease).update().getMetadata().getResourceVersion());
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

	private Lease lease(String name) {
		return this.admin.leases().withName(name).get();
	}

	/** Creates the election Lease held by {@code holder} and renews it every 300 ms until the executor stops. */
	private ScheduledExecutorService holdAndRenew(String holder, int transitions, AtomicInteger renewals) {
		this.admin.leases().resource(foreignLease(holder, transitions, ZonedDateTime.parse("2001-01-01T00:00:00Z")))
			.create();
		ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor();
		this.resources.track(renewer::shutdownNow);
		renewer.scheduleWithFixedDelay(() -> {
			Lease current = lease(LEASE);
			current.getSpec().setRenewTime(current.getSpec().getRenewTime().plusSeconds(1));
			this.admin.leases().resource(current).update();
			renewals.incrementAndGet();
		}, 300, 300, TimeUnit.MILLISECONDS);
		return renewer;
	}

	private static Lease foreignLease(String holder, int transitions, ZonedDateTime renewTime) {
		return new LeaseBuilder().withNewMetadata()
			.withName(LEASE)
			.endMetadata()
			.withNewSpec()
			.withHolderIdentity(holder)
			.withLeaseDurationSeconds(2)
			.withLeaseTransitions(transitions)
			.withRenewTime(renewTime)
			.endSpec()
			.build();
	}

}
