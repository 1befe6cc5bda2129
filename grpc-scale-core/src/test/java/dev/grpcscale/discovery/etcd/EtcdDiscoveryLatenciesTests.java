package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The registration, lease-renewal and watch-lag tallies of {@link EtcdServiceRegistry}, against a real etcd node. */
class EtcdDiscoveryLatenciesTests {

	private static EtcdCluster etcd;

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	@BeforeAll
	static void startEtcd() {
		etcd = EtcdCluster.startSingle();
	}

	@AfterAll
	static void stopEtcd() {
		if (etcd != null) {
			etcd.close();
		}
	}

	@Test
	void registrationsAreTimedAndWatchEventsHandedToWatchersAreTimed() {
		EtcdServiceRegistry writer = registry();
		EtcdServiceRegistry reader = registry();
		List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
		this.resources.track(reader.watch("orders", seen::add));
		await().atMost(Duration.ofSeconds(20)).until(() -> !seen.isEmpty());
		long lagsBefore = reader.watchLag().count();

		writer.register(instance("o-1"));

		assertThat(writer.registrations().count()).isOne();
		assertThat(writer.registrations().totalNanos()).isPositive();
		await().atMost(Duration.ofSeconds(20))
			.untilAsserted(() -> assertThat(seen.get(seen.size() - 1)).extracting(ServiceInstance::instanceId)
				.containsExactly("o-1"));
		assertThat(reader.watchLag().count()).isGreaterThan(lagsBefore);
		assertThat(reader.registrations().count()).isZero();
	}

	@Test
	void eachConfirmedRenewalOfTheRegistrationLeaseIsTimedFromSendToAnswer() {
		EtcdServiceRegistry registry = registry(Duration.ofSeconds(3));
		assertThat(registry.leaseRenewals().count()).isZero();

		registry.register(instance("o-1"));

		// renewed every third of the TTL: a second apart
		await().atMost(Duration.ofSeconds(20)).until(() -> registry.leaseRenewals().count() >= 3);
		assertThat(registry.leaseRenewals().totalNanos()).isPositive();
		assertThat(registry.latencyProvider()).isEqualTo("etcd");
		assertThat(registry.registrations().count()).isOne();
	}

	@Test
	void aRegistryThatRegisteredNothingRenewsNoLease() {
		EtcdServiceRegistry reader = registry();
		List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
		this.resources.track(reader.watch("orders", seen::add));
		await().atMost(Duration.ofSeconds(20)).until(() -> !seen.isEmpty());

		assertThat(reader.leaseRenewals().count()).isZero();
	}

	private EtcdServiceRegistry registry() {
		return registry(Duration.ofSeconds(10));
	}

	private EtcdServiceRegistry registry(Duration leaseTtl) {
		return this.resources.track(EtcdServiceRegistry.builder()
			.endpoints(etcd.clientEndpoints())
			.namespace("/latencies")
			.leaseTtl(leaseTtl)
			.build());
	}

	private static ServiceInstance instance(String id) {
		return new ServiceInstance("orders", id, "127.0.0.1", 9090, Map.of(), InstanceStatus.UP, Instant.now());
	}

}
