package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.etcd.internal.CapturedLog;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What {@link EtcdServiceRegistry#close()} does when etcd cannot take the deregistration: paused (SIGSTOP),
 * killed, or the registry's client closed before it, on a real single-node etcd. Close returns within the
 * request timeout (2 s here), never throws, logs one warning naming the instances and the lease and no stack
 * trace, and the keys leave with the lease's TTL (3 s). With etcd up it deletes and revokes without a warning.
 */
class EtcdServiceRegistryShutdownTests {

	private static final String NAMESPACE = "/shutdown";

	private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);

	/** The bound checked on close: the request timeout plus a generous allowance for a busy machine. */
	private static final Duration CLOSE_BOUND = REQUEST_TIMEOUT.plusSeconds(3);

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private final CapturedLog log = this.resources.track(new CapturedLog());

	private EtcdServiceRegistry registry(EtcdServiceRegistry.Builder builder) {
		return this.resources.track(builder.namespace(NAMESPACE)
			.leaseTtl(Duration.ofSeconds(3))
			.requestTimeout(REQUEST_TIMEOUT)
			.build());
	}

	private static ServiceInstance instance(String id) {
		return new ServiceInstance("orders", id, "127.0.0.1", 9090, Map.of(), InstanceStatus.UP, Instant.now());
	}

	private static String lease(EtcdServiceRegistry registry) {
		String lease = (String) registry.status().details().get("leaseId");
		assertThat(lease).isNotEmpty();
		return lease;
	}

	private static Duration timeToClose(EtcdServiceRegistry registry) {
		long start = System.nanoTime();
		registry.close();
		return Duration.ofNanos(System.nanoTime() - start);
	}

	@Test
	void closeWhileEtcdIsPausedReturnsWithinTheRequestTimeoutAndWarnsOnceNamingTheInstancesAndTheLease()
			throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.startSingle());
		EtcdServiceRegistry registry = registry(EtcdServiceRegistry.builder().endpoints(etcd.clientEndpoints()));
		registry.register(instance("i-1"));
		registry.register(instance("i-2"));
		registry.getInstances("orders");
		String lease = lease(registry);
		this.log.clear();
		etcd.pause(0);

		assertThat(timeToClose(registry)).isLessThan(CLOSE_BOUND);

		assertThat(this.log.warnings()).map(ILoggingEvent::getFormattedMessage)
			.singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
			.contains("orders/i-1", "orders/i-2", "lease " + lease, "no answer within " + REQUEST_TIMEOUT,
					"expire with it within 3s");
		assertThat(this.log.warningsWithStackTraces()).isEmpty();
		assertThat(this.log.rejectedExecutions()).isEmpty();
		etcd.resume(0);
		try (EtcdTestClients admin = new EtcdTestClients(etcd.clientEndpoints())) {
			await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
				assertThat(admin.exists(NAMESPACE + "/services/orders/i-1")).isFalse();
				assertThat(admin.exists(NAMESPACE + "/services/orders/i-2")).isFalse();
			});
		}
	}

	@Test
	void closeAfterItsClientWasClosedWarnsOnceThatTheClientIsClosedWithoutRejectedExecutionStackTraces()
			throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.startSingle());
		Client client = EtcdClients.builder().endpoints(etcd.clientEndpoints()).build();
		EtcdServiceRegistry registry = registry(EtcdServiceRegistry.builder().client(client));
		registry.register(instance("i-1"));
		registry.getInstances("orders");
		String lease = lease(registry);
		this.log.clear();
		client.close();

		assertThat(timeToClose(registry)).isLessThan(CLOSE_BOUND);

		assertThat(this.log.warnings()).map(ILoggingEvent::getFormattedMessage)
			.singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
			.contains("orders/i-1", "lease " + lease, "the etcd client is closed");
		assertThat(this.log.rejectedExecutions()).isEmpty();
		assertThat(this.log.warningsWithStackTraces()).isEmpty();
		try (EtcdTestClients admin = new EtcdTestClients(etcd.clientEndpoints())) {
			await().atMost(Duration.ofSeconds(20))
				.untilAsserted(() -> assertThat(admin.exists(NAMESPACE + "/services/orders/i-1")).isFalse());
		}
	}

	@Test
	void closeAfterEtcdWasKilledWarnsOnceAndNothingOfTheRegistryLogsAfterwards() {
		EtcdCluster etcd = this.resources.track(EtcdCluster.startSingle());
		EtcdServiceRegistry registry = registry(EtcdServiceRegistry.builder().endpoints(etcd.clientEndpoints()));
		registry.register(instance("i-1"));
		registry.getInstances("orders");
		String lease = lease(registry);
		etcd.kill(0);
		// the cache notices and retries its read: work that close must stop
		await().atMost(Duration.ofSeconds(20)).until(() -> !registry.status().reachable());
		this.log.clear();

		assertThat(timeToClose(registry)).isLessThan(CLOSE_BOUND);

		List<ILoggingEvent> atClose = this.log.events();
		assertThat(this.log.warnings()).map(ILoggingEvent::getFormattedMessage)
			.singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
			.contains("orders/i-1", "lease " + lease);
		assertThat(this.log.warningsWithStackTraces()).isEmpty();
		assertThat(this.log.rejectedExecutions()).isEmpty();
		await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
			.untilAsserted(() -> assertThat(this.log.events()).hasSameSizeAs(atClose));
	}

	@Test
	void closeWithEtcdUpDeletesTheKeysAndRevokesTheLeaseWithoutAWarning() throws Exception {
		EtcdCluster etcd = this.resources.track(EtcdCluster.startSingle());
		EtcdServiceRegistry registry = registry(EtcdServiceRegistry.builder().endpoints(etcd.clientEndpoints()));
		registry.register(instance("i-1"));
		long lease = Long.parseUnsignedLong(lease(registry), 16);
		this.log.clear();

		registry.close();

		assertThat(this.log.warnings()).isEmpty();
		try (EtcdTestClients admin = new EtcdTestClients(etcd.clientEndpoints())) {
			assertThat(admin.exists(NAMESPACE + "/services/orders/i-1")).isFalse();
			assertThat(admin.ttl(lease)).isEqualTo(-1);
		}
	}

}
