package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.internal.DaemonThreads;
import dev.grpcscale.test.junit.CloseAfterEach;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link EtcdRegistryStatus}: when a report probes etcd, and what it shows. Against a port nothing listens on:
 * the probe fails at once, so whether a report probed shows in what it says.
 */
class EtcdRegistryStatusTests {

	private static final String NOWHERE = "http://127.0.0.1:1";

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private final EtcdConnectionState state = new EtcdConnectionState();

	private EtcdRegistryStatus status;

	@BeforeEach
	void createStatus() {
		Client client = this.resources.track(Client.builder().endpoints(NOWHERE).build());
		ScheduledExecutorService scheduler = Executors
			.newSingleThreadScheduledExecutor(DaemonThreads.named("grpc-scale-etcd-status-test"));
		this.resources.track(scheduler::shutdownNow);
		EtcdKeys keys = new EtcdKeys("/status-test");
		Duration timeout = Duration.ofMillis(500);
		EtcdLeasedRegistrations registrations = this.resources.track(new EtcdLeasedRegistrations(client, keys,
				Duration.ofSeconds(10), timeout, scheduler, EtcdRequests.untilAnswered(), this.state));
		EtcdDiscoveryCache cache = this.resources.track(new EtcdDiscoveryCache(client, keys, timeout,
				Duration.ofMinutes(5), EtcdDiscoveryCache.DEFAULT_PAGE_SIZE, scheduler, EtcdRequests.untilAnswered(),
				this.state));
		this.status = new EtcdRegistryStatus(client, "/status-test", List.of(NOWHERE), timeout, this.state,
				registrations, cache);
	}

	@Test
	void firstReportProbesEtcdAndNamesTheFailureWithTheDetails() {
		DiscoveryStatus report = this.status.report(false);

		assertThat(report.provider()).isEqualTo("etcd");
		assertThat(report.reachable()).isFalse();
		assertThat(report.details()).containsEntry("endpoints", List.of(NOWHERE))
			.containsEntry("namespace", "/status-test")
			.containsEntry("services", 0)
			.containsEntry("instances", 0)
			.containsEntry("registered", 0)
			.containsEntry("leaseId", "")
			.containsKey("revision")
			.hasEntrySatisfying("lastError", (error) -> assertThat(error.toString()).isNotBlank());
		assertThat(this.state.seen()).isTrue();
	}

	@Test
	void laterReportsShowWhatTheLastRequestSawWithoutProbingAgain() {
		this.status.report(false);
		this.state.succeeded();

		DiscoveryStatus report = this.status.report(false);

		assertThat(report.reachable()).isTrue();
		assertThat(report.details()).doesNotContainKey("lastError");
	}

	@Test
	void closedRegistryIsNotProbed() {
		DiscoveryStatus report = this.status.report(true);

		assertThat(report.reachable()).isFalse();
		assertThat(report.details()).doesNotContainKey("lastError");
		assertThat(this.state.seen()).isFalse();
	}

}
