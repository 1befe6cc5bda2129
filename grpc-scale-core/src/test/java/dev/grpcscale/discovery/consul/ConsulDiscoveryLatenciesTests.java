package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The registration, TTL-pass and watch-lag tallies of {@link ConsulServiceRegistry}, against
 * {@link FakeConsulAgent}.
 */
class ConsulDiscoveryLatenciesTests {

	private FakeConsulAgent agent;

	@BeforeEach
	void startAgent() throws IOException {
		this.agent = new FakeConsulAgent();
		this.agent.serveRegisteredServicesAsPassing();
	}

	@AfterEach
	void stopAgent() {
		this.agent.close();
	}

	@Test
	void registrationsAreTimedAndChangedListsHandedToWatchersAreTimed() {
		try (ConsulServiceRegistry writer = consul().build(); ConsulServiceRegistry reader = consul().build()) {
			List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
			reader.watch("orders", seen::add);
			await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty());
			assertThat(reader.watchLag().count()).as("the first read is no watch answer").isZero();

			writer.register(instance("o-1"));

			assertThat(writer.registrations().count()).isOne();
			assertThat(writer.registrations().totalNanos()).isPositive();
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(seen.get(seen.size() - 1)).extracting(ServiceInstance::instanceId)
					.containsExactly("o-1"));
			assertThat(reader.watchLag().count()).isOne();
			assertThat(reader.registrations().count()).isZero();
			assertThat(writer.latencyProvider()).isEqualTo("consul");
		}
	}

	@Test
	void confirmedTtlPassesAreTimedAsLeaseRenewals() {
		try (ConsulServiceRegistry consul = consul().checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(300))
			.build()) {
			consul.register(instance("o-1"));

			// one pass right after registering, then one every 100 ms
			await().atMost(Duration.ofSeconds(10)).until(() -> consul.leaseRenewals().count() >= 3);
			assertThat(consul.leaseRenewals().totalNanos()).isPositive();
			assertThat(consul.leaseRenewals().count())
				.isLessThanOrEqualTo(this.agent.requests("PUT", "/v1/agent/check/pass/service:o-1").size());
		}
	}

	@Test
	void passesTheAgentDoesNotConfirmAreNotTimed() {
		try (ConsulServiceRegistry consul = consul().checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(300))
			.build()) {
			consul.register(instance("o-1"));
			await().atMost(Duration.ofSeconds(10)).until(() -> consul.leaseRenewals().count() >= 1);
			this.agent.failWith(500);
			int sentBefore = this.agent.requests("PUT", "/v1/agent/check/pass/service:o-1").size();
			long timedBefore = consul.leaseRenewals().count();

			await().atMost(Duration.ofSeconds(10))
				.until(() -> this.agent.requests("PUT", "/v1/agent/check/pass/service:o-1").size() >= sentBefore + 3);

			assertThat(consul.leaseRenewals().count()).isLessThanOrEqualTo(timedBefore + 1);
		}
	}

	@Test
	void grpcChecksRenewNothingHere() {
		try (ConsulServiceRegistry consul = consul().build()) {
			consul.register(instance("o-1"));

			assertThat(consul.leaseRenewals()).isNull();
		}
	}

	private ConsulServiceRegistry.Builder consul() {
		return ConsulServiceRegistry.builder()
			.connection(ConsulConnection.builder()
				.host("127.0.0.1")
				.port(this.agent.port())
				.requestTimeout(Duration.ofSeconds(2))
				.build())
			.blockingQueryWait(Duration.ofSeconds(1))
			.retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
			.queryRateLimit(Duration.ofMillis(10));
	}

	private static ServiceInstance instance(String id) {
		return new ServiceInstance("orders", id, "10.0.0.5", 9090, Map.of(), InstanceStatus.UP, Instant.now());
	}

}
