package dev.grpcscale.cluster.etcd;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.etcd.internal.CapturedLog;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What {@link EtcdLeaderElection#close()} does when etcd cannot take the revoke of its lease: paused
 * (SIGSTOP), or the election's client closed before it, on a real single-node etcd. Close returns within
 * {@code electionTimeout} (2 s here), never throws, logs one warning naming the lease and the reason and no
 * stack trace, and the lease expires with its TTL. With etcd up it revokes the lease without a warning.
 */
class EtcdLeaderElectionShutdownTests {

	private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(2);

	/** The bound checked on close: the election timeout plus a generous allowance for a busy machine. */
	private static final Duration CLOSE_BOUND = ELECTION_TIMEOUT.plusSeconds(3);

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private final CapturedLog log = this.resources.track(new CapturedLog());

	private EtcdLeaderElection leader(Client client) {
		EtcdLeaderElection election = this.resources.track(EtcdLeaderElection.create(client,
				LeaderElectionSettings.builder()
					.nodeId("n1")
					.address("127.0.0.1:9090")
					.namespace("/shutdown")
					.heartbeatInterval(Duration.ofMillis(300))
					.electionTimeout(ELECTION_TIMEOUT)
					.build()));
		election.join();
		await().atMost(Duration.ofSeconds(20)).until(election::isLeader);
		return election;
	}

	private Client client(EtcdCluster etcd) {
		return this.resources.track(Client.builder().endpoints(etcd.clientEndpoints().toArray(String[]::new)).build());
	}

	/** The lease of the election's candidacy, read by another client. */
	private static long lease(Client admin, EtcdLeaderElection election) throws Exception {
		List<KeyValue> candidacies = admin.getKVClient()
			.get(bytes(election.keyPrefix() + "election/"), GetOption.builder().isPrefix(true).build())
			.get(10, TimeUnit.SECONDS)
			.getKvs();
		assertThat(candidacies).hasSize(1);
		return candidacies.get(0).getLease();
	}

	private static long ttl(Client admin, long lease) throws Exception {
		return admin.getLeaseClient().timeToLive(lease, LeaseOption.DEFAULT).get(10, TimeUnit.SECONDS).getTTL();
	}

	private static ByteSequence bytes(String text) {
		return ByteSequence.from(text, StandardCharsets.UTF_8);
	}

	private static Duration timeToClose(EtcdLeaderElection election) {
		long start = System.nanoTime();
		election.close();
		return Duration.ofNanos(System.nanoTime() - start);
	}

	@Test
	void closeWhileEtcdIsPausedReturnsWithinTheElectionTimeoutAndWarnsOnceNamingTheLeaseWithoutAStackTrace()
			throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.startSingle());
		Client admin = client(etcd);
		EtcdLeaderElection election = leader(client(etcd));
		long lease = lease(admin, election);
		this.log.clear();
		etcd.pause(0);

		assertThat(timeToClose(election)).isLessThan(CLOSE_BOUND);

		assertThat(this.log.warnings()).map(ILoggingEvent::getFormattedMessage)
			.singleElement(InstanceOfAssertFactories.STRING)
			.contains("etcd lease " + Long.toHexString(lease), "no answer within " + ELECTION_TIMEOUT);
		assertThat(this.log.warningsWithStackTraces()).isEmpty();
		assertThat(this.log.rejectedExecutions()).isEmpty();
		etcd.resume(0);
		await().atMost(Duration.ofSeconds(20)).until(() -> ttl(admin, lease) == -1);
	}

	@Test
	void closeAfterItsClientWasClosedWarnsOnceThatTheClientIsClosedWithoutRejectedExecutionStackTraces()
			throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.startSingle());
		Client admin = client(etcd);
		Client client = client(etcd);
		EtcdLeaderElection election = leader(client);
		long lease = lease(admin, election);
		this.log.clear();
		client.close();

		assertThat(timeToClose(election)).isLessThan(CLOSE_BOUND);

		assertThat(this.log.warnings()).map(ILoggingEvent::getFormattedMessage)
			.singleElement(InstanceOfAssertFactories.STRING)
			.contains("etcd lease " + Long.toHexString(lease), "the etcd client is closed");
		assertThat(this.log.rejectedExecutions()).isEmpty();
		assertThat(this.log.warningsWithStackTraces()).isEmpty();
		await().atMost(Duration.ofSeconds(20)).until(() -> ttl(admin, lease) == -1);
	}

	@Test
	void aClientClosedUnderARunningElectionIsWarnedAboutOnceNotAtEveryRetryOfItsSession() {
		EtcdCluster etcd = this.resources.track(EtcdCluster.startSingle());
		Client client = client(etcd);
		EtcdLeaderElection election = leader(client);
		this.log.clear();
		client.close();

		// the lease lapses (2 s), then a new session is tried every heartbeat (300 ms): watch ten attempts
		await().atMost(Duration.ofSeconds(20)).until(() -> !election.isLeader());
		await().atMost(Duration.ofSeconds(20)).until(() -> this.log.events().stream()
			.filter((event) -> event.getFormattedMessage().contains("could not open a session"))
			.count() >= 10);

		assertThat(this.log.warnings()).map(ILoggingEvent::getFormattedMessage)
			.singleElement(InstanceOfAssertFactories.STRING)
			.contains("could not open a session", "the etcd client is closed");
		assertThat(this.log.rejectedExecutions()).isEmpty();
		assertThat(this.log.warningsWithStackTraces()).isEmpty();
	}

	@Test
	void closeWithEtcdUpRevokesTheLeaseWithoutAWarning() throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.startSingle());
		Client admin = client(etcd);
		EtcdLeaderElection election = leader(client(etcd));
		long lease = lease(admin, election);
		this.log.clear();

		election.close();

		assertThat(this.log.warnings()).isEmpty();
		assertThat(ttl(admin, lease)).isEqualTo(-1);
	}

}
