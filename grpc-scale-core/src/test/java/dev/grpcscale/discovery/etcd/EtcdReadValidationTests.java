package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;

import static dev.grpcscale.discovery.etcd.EtcdServiceRegistryTests.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Registration values checked on read: size, host syntax, port; warnings named and rate-limited. */
class EtcdReadValidationTests {

	private static EtcdCluster etcd;

	private static EtcdTestClients raw;

	private static int namespaces;

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private final ListAppender<ILoggingEvent> warnings = new ListAppender<>();

	private String namespace;

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

	@BeforeEach
	void capture() {
		this.namespace = "/validation-" + (++namespaces);
		this.warnings.start();
		((Logger) LoggerFactory.getLogger(EtcdDiscoveryCache.class)).addAppender(this.warnings);
	}

	@AfterEach
	void closeResources() throws Exception {
		((Logger) LoggerFactory.getLogger(EtcdDiscoveryCache.class)).detachAppender(this.warnings);
	}

	private EtcdServiceRegistry registry() {
		EtcdServiceRegistry registry = EtcdServiceRegistry.builder()
			.endpoints(etcd.clientEndpoints())
			.namespace(this.namespace)
			.build();
		this.resources.track(registry);
		return registry;
	}

	@Test
	void valuesWithABadHostOrPortOrOverSixtyFourKibAreSkippedNamingTheKeyOnLoadAndOnWatch() throws Exception {
		raw.put(key("good"), json("good", "10.0.0.7", 9090, ""));
		raw.put(key("scheme"), json("scheme", "http://10.0.0.7", 9090, ""));
		raw.put(key("path"), json("path", "10.0.0.7/x", 9090, ""));
		raw.put(key("space"), json("space", "bad host", 9090, ""));
		raw.put(key("zero-port"), json("zero-port", "10.0.0.7", 0, ""));
		raw.put(key("large"), json("large", "10.0.0.7", 9090, "x".repeat(65 * 1024)));
		EtcdServiceRegistry reader = registry();

		assertThat(reader.getInstances("orders")).extracting(ServiceInstance::instanceId).containsExactly("good");
		assertThat(messages()).hasSize(5)
			.anySatisfy((message) -> assertThat(message).contains(key("scheme")).contains("host: 'http://10.0.0.7'"))
			.anySatisfy((message) -> assertThat(message).contains(key("path")).contains("host:"))
			.anySatisfy((message) -> assertThat(message).contains(key("space")).contains("host:"))
			.anySatisfy((message) -> assertThat(message).contains(key("zero-port")).contains("port"))
			.anySatisfy((message) -> assertThat(message).contains(key("large")).contains("at most 65536"));

		List<List<String>> seen = new CopyOnWriteArrayList<>();
		reader.watch("orders", (instances) -> seen.add(ids(instances)));
		raw.put(key("ipv6"), json("ipv6", "fd00::7", 9090, ""));
		raw.put(key("host-port"), json("host-port", "orders.internal:9090", 9090, ""));
		raw.put(key("name"), json("name", "orders-1.internal", 9090, ""));
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(List.of("good", "ipv6", "name")));
		await().atMost(Duration.ofSeconds(5))
			.until(() -> messages().stream().anyMatch((message) -> message.contains(key("host-port"))));
	}

	@Test
	void manyInvalidKeysGiveAtMostTwentyWarningsATimeAndNeverKeepTheValidOnesOut() throws Exception {
		for (int i = 0; i < 60; i++) {
			raw.put(key(String.format("junk-%02d", i)), "not json " + i);
		}
		raw.put(key("good"), json("good", "10.0.0.7", 9090, ""));

		assertThat(registry().getInstances("orders")).extracting(ServiceInstance::instanceId).containsExactly("good");
		assertThat(messages()).hasSize(20).allSatisfy((message) -> assertThat(message).contains("/junk-"));
	}

	private List<String> messages() {
		List<ILoggingEvent> events;
		// the appender adds under its own lock, from the registry's threads
		synchronized (this.warnings) {
			events = List.copyOf(this.warnings.list);
		}
		return events.stream()
			.map(ILoggingEvent::getFormattedMessage)
			.filter((message) -> message.contains(this.namespace + "/"))
			.toList();
	}

	private String key(String id) {
		return this.namespace + "/services/orders/" + id;
	}

	private static String json(String id, String host, int port, String padding) {
		String metadata = padding.isEmpty() ? "{}" : "{\"padding\":\"" + padding + "\"}";
		return "{\"serviceName\":\"orders\",\"instanceId\":\"" + id + "\",\"host\":\"" + host + "\",\"port\":" + port
				+ ",\"metadata\":" + metadata + ",\"status\":\"UP\",\"registrationTime\":\"2025-01-01T00:00:00Z\"}";
	}

}
