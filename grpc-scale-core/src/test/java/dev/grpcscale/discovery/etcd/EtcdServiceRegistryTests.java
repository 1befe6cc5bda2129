package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.PutOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/** {@link EtcdServiceRegistry} against one real etcd node; each test uses a namespace of its own. */
class EtcdServiceRegistryTests {

	private static final Instant REGISTERED = Instant.parse("2025-01-01T00:00:00Z");

	private static final AtomicInteger namespaces = new AtomicInteger();

	private static EtcdCluster etcd;

	private static EtcdTestClients raw;

	private final List<EtcdServiceRegistry> registries = new CopyOnWriteArrayList<>();

	private final String namespace = "/test-" + namespaces.incrementAndGet();

	@BeforeAll
	static void startEtcd() {
		etcd = EtcdCluster.startSingle();
		raw = new EtcdTestClients(etcd.clientEndpoints());
	}

	@AfterAll
	static void stopEtcd() {
		if (raw != null) {
			raw.close();
		}
		if (etcd != null) {
			etcd.close();
		}
	}

	@AfterEach
	void closeRegistries() {
		this.registries.forEach(EtcdServiceRegistry::close);
	}

	private EtcdServiceRegistry registry() {
		return registry(Duration.ofSeconds(10));
	}

	private EtcdServiceRegistry registry(Duration leaseTtl) {
		EtcdServiceRegistry registry = EtcdServiceRegistry.builder()
			.endpoints(etcd.clientEndpoints())
			.namespace(this.namespace)
			.leaseTtl(leaseTtl)
			.build();
		this.registries.add(registry);
		return registry;
	}

	private static ServiceInstance instance(String service, String id, int port) {
		return instance(service, id, port, Map.of());
	}

	private static ServiceInstance instance(String service, String id, int port, Map<String, String> metadata) {
		return new ServiceInstance(service, id, "127.0.0.1", port, metadata, InstanceStatus.UP, REGISTERED);
	}

	private String key(String service, String id) {
		return this.namespace + "/services/" + service + "/" + id;
	}

	@Test
	void registerWritesOneJsonDocumentPerInstanceUnderTheNamespaceBoundToTheLease() throws Exception {
		EtcdServiceRegistry registry = registry();
		registry.register(new ServiceInstance("orders", "i-1", "10.0.0.7", 9090, Map.of("zone", "a", "version", "1.2"),
				InstanceStatus.UP, REGISTERED));

		KeyValue kv = raw.get(key("orders", "i-1"));
		assertThat(kv).isNotNull();
		assertThat(kv.getValue().toString()).isEqualTo("{\"serviceName\":\"orders\",\"instanceId\":\"i-1\","
				+ "\"host\":\"10.0.0.7\",\"port\":9090,\"metadata\":{\"version\":\"1.2\",\"zone\":\"a\"},"
				+ "\"status\":\"UP\",\"registrationTime\":\"2025-01-01T00:00:00Z\"}");
		assertThat(kv.getLease()).isNotZero();
		assertThat(raw.ttl(kv.getLease())).isBetween(1L, 10L);
		assertThat(registry.status().details()).containsEntry("leaseId", Long.toHexString(kv.getLease()))
			.containsEntry("registered", 1);
	}

	@Test
	void registeringTheSameInstanceAgainReplacesItsDocument() throws Exception {
		EtcdServiceRegistry registry = registry();
		registry.register(instance("orders", "i-1", 9090));
		registry.register(instance("orders", "i-1", 9090).withStatus(InstanceStatus.DOWN));

		assertThat(raw.value(key("orders", "i-1"))).contains("\"status\":\"DOWN\"");
		assertThat(registry.getAllInstances("orders")).singleElement()
			.extracting(ServiceInstance::status)
			.isEqualTo(InstanceStatus.DOWN);
		assertThat(registry.getInstances("orders")).isEmpty();
	}

	@Test
	void deregisterDeletesTheKeyAndLeavesInstancesOfOthersAlone() throws Exception {
		EtcdServiceRegistry registry = registry();
		EtcdServiceRegistry other = registry();
		registry.register(instance("orders", "i-1", 9090));
		other.register(instance("orders", "i-2", 9091));

		assertThat(registry.deregister("orders", "i-2")).isFalse();
		assertThat(raw.exists(key("orders", "i-2"))).isTrue();
		assertThat(registry.deregister("orders", "i-1")).isTrue();
		assertThat(raw.exists(key("orders", "i-1"))).isFalse();
		assertThat(registry.deregister("orders", "i-1")).isFalse();
	}

	@Test
	void freshRegistryServesInstancesRegisteredBeforeItStarted() {
		EtcdServiceRegistry writer = registry();
		writer.register(instance("orders", "i-1", 9090));
		writer.register(instance("orders", "i-2", 9091).withStatus(InstanceStatus.DOWN));
		writer.register(instance("payments", "p-1", 9092));

		EtcdServiceRegistry reader = registry();
		assertThat(reader.getInstances("orders")).extracting(ServiceInstance::instanceId).containsExactly("i-1");
		assertThat(reader.getAllInstances("orders")).extracting(ServiceInstance::instanceId)
			.containsExactly("i-1", "i-2");
		assertThat(reader.getServiceNames()).containsExactlyInAnyOrder("orders", "payments");
		assertThat(reader.getInstances("unknown")).isEmpty();
	}

	@Test
	void instancesOfAServiceShareOneServiceNameAndTheirEqualMetadataWhetherReadOrWatched() {
		EtcdServiceRegistry writer = registry();
		Map<String, String> zoneA = Map.of("zone", "a", "version", "1.2");
		writer.register(instance("orders", "i-1", 9090, zoneA));
		writer.register(instance("orders", "i-2", 9091, zoneA));
		EtcdServiceRegistry reader = registry();
		assertThat(reader.getAllInstances("orders")).hasSize(2);

		writer.register(instance("orders", "i-3", 9092, zoneA));
		Map<String, String> zoneB = Map.of("zone", "b", "version", "1.2");
		writer.register(instance("orders", "i-4", 9093, zoneB));
		await().atMost(Duration.ofSeconds(10)).until(() -> reader.getAllInstances("orders").size() == 4);

		List<ServiceInstance> all = reader.getAllInstances("orders");
		ServiceInstance first = all.get(0);
		assertThat(all).allSatisfy((instance) -> assertThat(instance.serviceName()).isSameAs(first.serviceName()));
		assertThat(all.subList(0, 3)).allSatisfy((instance) -> assertThat(instance.metadata()).isSameAs(first.metadata()));
		assertThat(all.get(3).metadata()).isEqualTo(zoneB);
	}

	@Test
	void watchGetsTheCurrentListThenEveryAddAndRemove() {
		EtcdServiceRegistry writer = registry();
		EtcdServiceRegistry reader = registry();
		writer.register(instance("orders", "i-1", 9090));
		List<List<String>> seen = new CopyOnWriteArrayList<>();
		reader.watch("orders", (instances) -> seen.add(ids(instances)));
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("i-1")));

		writer.register(instance("orders", "i-2", 9091));
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("i-1", "i-2")));
		writer.deregister("orders", "i-1");
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("i-2")));
		writer.register(instance("orders", "i-2", 9091).withStatus(InstanceStatus.DOWN));
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.get(seen.size() - 1).isEmpty());

		assertThat(seen).containsExactly(List.of("i-1"), List.of("i-1", "i-2"), List.of("i-2"), List.of());
	}

	@Test
	void watchOfAnUnknownServiceGetsAnEmptyListFirst() {
		EtcdServiceRegistry reader = registry();
		List<List<String>> seen = new CopyOnWriteArrayList<>();
		reader.watch("nobody", (instances) -> seen.add(ids(instances)));
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);
		assertThat(seen).containsExactly(List.of());
	}

	@Test
	void cancelledWatchGetsNoMoreCallbacks() {
		EtcdServiceRegistry writer = registry();
		EtcdServiceRegistry reader = registry();
		List<List<String>> seen = new CopyOnWriteArrayList<>();
		Subscription subscription = reader.watch("orders", (instances) -> seen.add(ids(instances)));
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);
		subscription.cancel();
		writer.register(instance("orders", "i-1", 9090));
		await().atMost(Duration.ofSeconds(10)).until(() -> reader.getInstances("orders").size() == 1);
		assertThat(seen).containsExactly(List.of());
	}

	@Test
	void malformedEntriesAreSkippedWithOneWarningPerKeyAndTheWatchKeepsWorking() throws Exception {
		ListAppender<ILoggingEvent> warnings = captureWarnings();
		try {
			EtcdServiceRegistry writer = registry();
			raw.put(key("orders", "not-json"), "this is not json");
			raw.put(key("orders", "no-port"), "{\"serviceName\":\"orders\",\"instanceId\":\"no-port\",\"host\":\"h\","
					+ "\"status\":\"UP\",\"registrationTime\":\"2025-01-01T00:00:00Z\"}");
			writer.register(instance("orders", "good-1", 9090));
			EtcdServiceRegistry reader = registry();
			List<List<String>> seen = new CopyOnWriteArrayList<>();
			reader.watch("orders", (instances) -> seen.add(ids(instances)));
			await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("good-1")));

			// written while the watch runs: bad port, wrong id for its key, an extra path segment, an array
			raw.put(key("orders", "bad-port"), "{\"serviceName\":\"orders\",\"instanceId\":\"bad-port\",\"host\":\"h\","
					+ "\"port\":70000,\"status\":\"UP\",\"registrationTime\":\"2025-01-01T00:00:00Z\"}");
			raw.put(key("orders", "other-id"), "{\"serviceName\":\"orders\",\"instanceId\":\"x\",\"host\":\"h\","
					+ "\"port\":1,\"status\":\"UP\",\"registrationTime\":\"2025-01-01T00:00:00Z\"}");
			raw.put(this.namespace + "/services/orders/a/b", "{}");
			raw.put(key("orders", "array"), "[1,2]");
			raw.put(key("orders", "not-json"), "still not json");
			writer.register(instance("orders", "good-2", 9091));

			await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("good-1", "good-2")));
			assertThat(reader.getAllInstances("orders")).extracting(ServiceInstance::instanceId)
				.containsExactly("good-1", "good-2");
			assertThat(warnings.list).extracting(ILoggingEvent::getFormattedMessage)
				.filteredOn((message) -> message.contains(this.namespace + "/"))
				.hasSize(6)
				.anySatisfy((message) -> assertThat(message).contains("/orders/not-json").contains("not JSON"))
				.anySatisfy((message) -> assertThat(message).contains("/orders/no-port").contains("port: null"))
				.anySatisfy((message) -> assertThat(message).contains("/orders/bad-port").contains("port: 70000"))
				.anySatisfy((message) -> assertThat(message).contains("/orders/other-id").contains("differ"))
				.anySatisfy((message) -> assertThat(message).contains("/orders/a/b"))
				.anySatisfy((message) -> assertThat(message).contains("/orders/array").contains("not a JSON object"));

			// a malformed key fixed by its writer becomes an instance
			raw.put(key("orders", "bad-port"), "{\"serviceName\":\"orders\",\"instanceId\":\"bad-port\",\"host\":\"h\","
					+ "\"port\":7000,\"status\":\"UP\",\"registrationTime\":\"2025-01-01T00:00:00Z\"}");
			await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("bad-port", "good-1", "good-2")));
		}
		finally {
			stopCapturing(warnings);
		}
	}

	@Test
	void instanceOverwrittenWithGarbageLeavesDiscovery() throws Exception {
		EtcdServiceRegistry writer = registry();
		EtcdServiceRegistry reader = registry();
		writer.register(instance("orders", "i-1", 9090));
		assertThat(reader.getInstances("orders")).hasSize(1);
		raw.put(key("orders", "i-1"), "garbage");
		await().atMost(Duration.ofSeconds(10)).until(() -> reader.getInstances("orders").isEmpty());
	}

	@Test
	void revokedLeaseIsReplacedAndEveryInstanceRegisteredAgain() throws Exception {
		EtcdServiceRegistry registry = registry(Duration.ofSeconds(5));
		registry.register(instance("orders", "i-1", 9090));
		registry.register(instance("orders", "i-2", 9091));
		long lease = raw.get(key("orders", "i-1")).getLease();

		raw.client.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);

		await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
			KeyValue one = raw.get(key("orders", "i-1"));
			KeyValue two = raw.get(key("orders", "i-2"));
			assertThat(one).isNotNull();
			assertThat(two).isNotNull();
			assertThat(one.getLease()).isNotEqualTo(lease).isEqualTo(two.getLease());
			assertThat(raw.ttl(one.getLease())).isPositive();
		});
		assertThat(registry.leaseGrants()).isEqualTo(2);
	}

	@Test
	void closeDeletesOwnedKeysRevokesTheLeaseAndIsIdempotent() throws Exception {
		EtcdServiceRegistry registry = registry();
		registry.register(instance("orders", "i-1", 9090));
		long lease = raw.get(key("orders", "i-1")).getLease();
		registry.watch("orders", (instances) -> {
		});

		registry.close();
		registry.close();

		assertThat(raw.exists(key("orders", "i-1"))).isFalse();
		assertThat(raw.ttl(lease)).isEqualTo(-1);
		assertThatIllegalStateException().isThrownBy(() -> registry.register(instance("orders", "i-2", 9091)));
		assertThatIllegalStateException().isThrownBy(() -> registry.watch("orders", (instances) -> {
		}));
	}

	@Test
	void registryThreadsAreNamedAndStoppedOnClose() {
		EtcdServiceRegistry registry = registry();
		registry.register(instance("orders", "i-1", 9090));
		registry.getInstances("orders");
		raw.client.getLeaseClient(); // keep the raw client's threads apart from the registry's
		registry.close();
		await().atMost(Duration.ofSeconds(5))
			.until(() -> Thread.getAllStackTraces().keySet().stream()
				.noneMatch((thread) -> thread.getName().startsWith("grpc-scale-etcd-registry-") && thread.isAlive()));
	}

	@Test
	void statusReportsReachableEtcdWithoutCredentials() {
		EtcdServiceRegistry registry = registry();
		DiscoveryStatus status = registry.status();
		assertThat(status.provider()).isEqualTo("etcd");
		assertThat(status.reachable()).isTrue();
		assertThat(status.details()).containsEntry("namespace", this.namespace)
			.containsEntry("endpoints", etcd.clientEndpoints())
			.doesNotContainKey("lastError");
	}

	@Test
	void statusReportsUnreachableEtcd() {
		EtcdServiceRegistry registry = EtcdServiceRegistry.builder()
			.endpoints("http://127.0.0.1:1")
			.requestTimeout(Duration.ofMillis(500))
			.build();
		this.registries.add(registry);
		DiscoveryStatus status = registry.status();
		assertThat(status.reachable()).isFalse();
		assertThat(status.details()).containsKey("lastError");
		assertThat(registry.getInstances("orders")).isEmpty();
	}

	@Test
	void givenClientIsUsedAndLeftOpen() throws Exception {
		try (EtcdTestClients own = new EtcdTestClients(etcd.clientEndpoints())) {
			EtcdServiceRegistry registry = EtcdServiceRegistry.builder().client(own.client).namespace(this.namespace).build();
			registry.register(instance("orders", "i-1", 9090));
			registry.close();
			assertThat(raw.exists(key("orders", "i-1"))).isFalse();
			own.put(key("orders", "manual"), "x");
			assertThat(own.exists(key("orders", "manual"))).isTrue();
		}
	}

	@Test
	void keysOutsideTheNamespaceAreIgnored() throws Exception {
		raw.client.getKVClient()
			.put(ByteSequence.from(this.namespace + "-other/services/orders/x", java.nio.charset.StandardCharsets.UTF_8),
					ByteSequence.from("{}", java.nio.charset.StandardCharsets.UTF_8), PutOption.DEFAULT)
			.get(10, TimeUnit.SECONDS);
		EtcdServiceRegistry reader = registry();
		assertThat(reader.getServiceNames()).isEmpty();
	}

	static List<String> ids(List<ServiceInstance> instances) {
		return instances.stream().map(ServiceInstance::instanceId).toList();
	}

	private static ListAppender<ILoggingEvent> captureWarnings() {
		Logger logger = (Logger) LoggerFactory.getLogger(EtcdDiscoveryCache.class);
		ListAppender<ILoggingEvent> appender = new ListAppender<>();
		appender.start();
		logger.addAppender(appender);
		return appender;
	}

	private static void stopCapturing(ListAppender<ILoggingEvent> appender) {
		Logger logger = (Logger) LoggerFactory.getLogger(EtcdDiscoveryCache.class);
		logger.detachAppender(appender);
	}

}
