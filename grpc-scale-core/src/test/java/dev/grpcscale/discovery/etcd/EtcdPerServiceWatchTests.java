package dev.grpcscale.discovery.etcd;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link EtcdServiceRegistry} in a namespace of 1,000 services: a client holds and watches only the services
 * it reads, and drops those it stopped using.
 */
class EtcdPerServiceWatchTests {

	private static final String NAMESPACE = "/many";

	private static final int SERVICES = 1_000;

	private static final int INSTANCES_PER_SERVICE = 3;

	private static EtcdCluster etcd;

	private static EtcdTestClients raw;

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	@BeforeAll
	static void startEtcd() throws Exception {
		etcd = EtcdCluster.startSingle();
		raw = new EtcdTestClients(etcd.clientEndpoints());
		List<CompletableFuture<?>> inFlight = new ArrayList<>();
		for (int s = 0; s < SERVICES; s++) {
			List<Op> puts = new ArrayList<>();
			for (int i = 0; i < INSTANCES_PER_SERVICE; i++) {
				puts.add(Op.put(bytes(key(service(s), "i" + i)), bytes(json(service(s), "i" + i, 9000 + i)),
						PutOption.DEFAULT));
			}
			inFlight.add(raw.client.getKVClient().txn().Then(puts.toArray(Op[]::new)).commit());
		}
		CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
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

	private EtcdServiceRegistry registry(Duration serviceIdleTimeout) {
		EtcdServiceRegistry registry = EtcdServiceRegistry.builder()
			.endpoints(etcd.clientEndpoints())
			.namespace(NAMESPACE)
			.serviceIdleTimeout(serviceIdleTimeout)
			.build();
		this.resources.track(registry);
		return registry;
	}

	@Test
	void aClientCallingTwoOfAThousandServicesHoldsAndWatchesOnlyThoseTwo() throws Exception {
		EtcdServiceRegistry client = registry(Duration.ofMinutes(5));

		// the first read of an unread service returns its loaded instances, not an empty list
		assertThat(client.getInstances(service(17))).extracting(ServiceInstance::instanceId)
			.containsExactly("i0", "i1", "i2");
		List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
		client.watch(service(42), seen::add);
		await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty());

		assertThat(client.heldServiceNames()).containsExactlyInAnyOrder(service(17), service(42));
		await().atMost(Duration.ofSeconds(10)).until(() -> client.openWatchCount() == 2);
		assertThat(client.status().details()).containsEntry("services", 2).containsEntry("instances", 6);
		// etcd's own count: this client is the only one watching (a registry of another test closed its own)
		await().atMost(Duration.ofSeconds(10)).until(() -> etcdMetric("etcd_debugging_mvcc_watcher_total") == 2);

		// changes to the other services reach neither the cache nor the watcher
		raw.put(key(service(500), "extra"), json(service(500), "extra", 9999));
		raw.put(key(service(42), "i3"), json(service(42), "i3", 9003));
		await().atMost(Duration.ofSeconds(10)).until(() -> seen.get(seen.size() - 1).size() == 4);
		assertThat(client.heldServiceNames()).containsExactlyInAnyOrder(service(17), service(42));
		raw.delete(key(service(500), "extra"));
		raw.delete(key(service(42), "i3"));

		// listing the namespace reads names only, and status counts only what is held: neither loads more
		assertThat(client.getServiceNames()).hasSize(SERVICES).contains(service(0), service(999));
		assertThat(client.instanceCounts()).containsExactly(Map.entry(service(17), 3), Map.entry(service(42), 3));
		assertThat(client.heldServiceNames()).containsExactlyInAnyOrder(service(17), service(42));
		assertThat(client.openWatchCount()).isEqualTo(2);
	}

	@Test
	void aServiceWithoutWatchersIsDroppedAfterTheIdleTimeoutAndLoadedAgainOnItsNextRead() throws Exception {
		EtcdServiceRegistry client = registry(Duration.ofSeconds(1));
		assertThat(client.getInstances(service(3))).hasSize(INSTANCES_PER_SERVICE);
		List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
		Subscription subscription = client.watch(service(4), seen::add);
		await().atMost(Duration.ofSeconds(10)).until(() -> client.openWatchCount() == 2);

		// read only: dropped once idle; watched: kept however long it is not read
		await().atMost(Duration.ofSeconds(15)).until(() -> client.heldServiceNames().equals(Set.of(service(4))));
		assertThat(client.openWatchCount()).isEqualTo(1);
		await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
			.until(() -> client.heldServiceNames().contains(service(4)));

		// changed while dropped: the next read loads the current instances
		raw.put(key(service(3), "i9"), json(service(3), "i9", 9009));
		assertThat(client.getInstances(service(3))).extracting(ServiceInstance::instanceId)
			.containsExactly("i0", "i1", "i2", "i9");
		raw.delete(key(service(3), "i9"));

		subscription.cancel();
		await().atMost(Duration.ofSeconds(15)).until(() -> client.heldServiceNames().isEmpty());
		assertThat(client.openWatchCount()).isZero();
	}

	/** A counter of etcd's Prometheus metrics endpoint. */
	private static long etcdMetric(String name) throws Exception {
		HttpResponse<String> response = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create(etcd.clientEndpoint(0) + "/metrics")).build(),
					HttpResponse.BodyHandlers.ofString());
		Matcher matcher = Pattern.compile("(?m)^" + name + " (\\S+)$").matcher(response.body());
		assertThat(matcher.find()).as(name).isTrue();
		return (long) Double.parseDouble(matcher.group(1));
	}

	private static String service(int s) {
		return String.format("svc-%04d", s);
	}

	private static String key(String service, String id) {
		return NAMESPACE + "/services/" + service + "/" + id;
	}

	private static String json(String service, String id, int port) {
		ServiceInstance instance = new ServiceInstance(service, id, "127.0.0.1", port, Map.of(), InstanceStatus.UP,
				Instant.parse("2025-01-01T00:00:00Z"));
		return new String(EtcdInstanceCodec.encode(instance), StandardCharsets.UTF_8);
	}

	private static ByteSequence bytes(String text) {
		return ByteSequence.from(text, StandardCharsets.UTF_8);
	}

}
