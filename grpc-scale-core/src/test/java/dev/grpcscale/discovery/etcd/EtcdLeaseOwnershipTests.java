package dev.grpcscale.discovery.etcd;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.etcd.jetcd.KeyValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;
import dev.grpcscale.test.net.TcpProxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * {@link EtcdServiceRegistry} touches only what it owns: a successor's registration under the same instance
 * id, and leases granted after their request timed out.
 */
class EtcdLeaseOwnershipTests {

	private static final Pattern LEASE_ID = Pattern.compile("\"ID\"\\s*:\\s*\"?(\\d+)");

	private static final HttpClient HTTP = HttpClient.newHttpClient();

	private static EtcdCluster etcd;

	private static EtcdTestClients raw;

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

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

	private EtcdServiceRegistry registry(String namespace, List<String> endpoints, Duration requestTimeout) {
		return this.resources.track(EtcdServiceRegistry.builder()
			.endpoints(endpoints)
			.namespace(namespace)
			.leaseTtl(Duration.ofSeconds(30))
			.requestTimeout(requestTimeout)
			.build());
	}

	private static ServiceInstance instance(String id, String host) {
		return new ServiceInstance("orders", id, host, 9090, Map.of(), InstanceStatus.UP,
				Instant.parse("2025-01-01T00:00:00Z"));
	}

	@Test
	void deregisteringAnInstanceIdASuccessorReusedLeavesTheSuccessorsRegistration() throws Exception {
		String namespace = "/ownership-deregister";
		EtcdServiceRegistry first = registry(namespace, etcd.clientEndpoints(), Duration.ofSeconds(5));
		EtcdServiceRegistry successor = registry(namespace, etcd.clientEndpoints(), Duration.ofSeconds(5));
		first.register(instance("i-1", "10.0.0.1"));
		successor.register(instance("i-1", "10.0.0.2"));
		String key = namespace + "/services/orders/i-1";
		long successorLease = raw.get(key).getLease();

		assertThat(first.deregister("orders", "i-1")).isTrue();

		KeyValue kv = raw.get(key);
		assertThat(kv).as("the successor's registration").isNotNull();
		assertThat(kv.getLease()).isEqualTo(successorLease);
		assertThat(kv.getValue().toString()).contains("10.0.0.2");
		assertThat(first.deregister("orders", "i-1")).as("no longer owned").isFalse();
		assertThat(successor.deregister("orders", "i-1")).isTrue();
		assertThat(raw.exists(key)).isFalse();
	}

	@Test
	void closingARegistryLeavesTheRegistrationOfASuccessorThatReusedItsInstanceId() throws Exception {
		String namespace = "/ownership-close";
		EtcdServiceRegistry first = registry(namespace, etcd.clientEndpoints(), Duration.ofSeconds(5));
		EtcdServiceRegistry successor = registry(namespace, etcd.clientEndpoints(), Duration.ofSeconds(5));
		first.register(instance("i-1", "10.0.0.1"));
		first.register(instance("i-2", "10.0.0.1"));
		successor.register(instance("i-1", "10.0.0.2"));

		first.close();

		assertThat(raw.value(namespace + "/services/orders/i-1")).contains("10.0.0.2");
		assertThat(raw.exists(namespace + "/services/orders/i-2")).as("our own key, deleted").isFalse();
	}

	@Test
	void leaseGrantAnsweredAfterItsRequestTimedOutIsRevokedNotLeftBehind() throws Exception {
		Set<Long> before = leases();
		TcpProxy proxy = this.resources.track(TcpProxy.start("127.0.0.1", URI.create(etcd.clientEndpoint(0)).getPort()));
		EtcdServiceRegistry registry = registry("/ownership-late-grant", List.of("http://" + proxy.hostAndPort()),
				Duration.ofSeconds(1));
		// a connection is up, then the network silently holds every byte
		assertThat(registry.getInstances("orders")).isEmpty();
		proxy.blackhole();

		assertThatExceptionOfType(DiscoveryException.class).isThrownBy(() -> registry.register(instance("i-1", "10.0.0.1")));
		proxy.heal();
		// the held grants reach etcd now; a registration after them gets one lease of its own
		registry.register(instance("i-2", "10.0.0.1"));
		long lease = raw.get("/ownership-late-grant/services/orders/i-2").getLease();

		await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(newLeases(before)).containsExactly(lease));
		await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(newLeases(before)).containsExactly(lease));
		assertThat(registry.leaseGrants()).isEqualTo(1);
		assertThat(registry.lateGrantsRevoked()).as("late grants revoked").isPositive();
	}

	private static Set<Long> newLeases(Set<Long> before) throws Exception {
		Set<Long> leases = leases();
		leases.removeAll(before);
		return leases;
	}

	/** Every lease etcd holds, as {@code etcdctl lease list} shows them (jetcd 0.8 has no such call). */
	private static Set<Long> leases() throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create(etcd.clientEndpoint(0) + "/v3/lease/leases"))
			.timeout(Duration.ofSeconds(5))
			.POST(HttpRequest.BodyPublishers.ofString("{}"))
			.build();
		String body = HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body();
		Set<Long> ids = new HashSet<>();
		Matcher matcher = LEASE_ID.matcher(body);
		while (matcher.find()) {
			ids.add(Long.parseLong(matcher.group(1)));
		}
		return ids;
	}

}
