package dev.grpcscale.discovery.kubernetes;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.junit.CloseAfterEach;
import dev.grpcscale.test.kubernetes.EndpointSlices;
import dev.grpcscale.test.kubernetes.KubernetesApiServer;
import dev.grpcscale.test.net.TcpProxy;

import static dev.grpcscale.test.kubernetes.EndpointSlices.endpoint;
import static dev.grpcscale.test.kubernetes.EndpointSlices.pod;
import static dev.grpcscale.test.kubernetes.EndpointSlices.port;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * {@link KubernetesServiceDiscovery} against fabric8's Kubernetes API mock server in CRUD mode: slices
 * written through the API reach reads and watches through a real list and watch.
 */
class KubernetesServiceDiscoveryTests {

	private static final Duration WAIT = Duration.ofSeconds(20);

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private KubernetesApiServer api;

	private KubernetesClient client;

	private EndpointSlices slices;

	@BeforeEach
	void startServer() throws Exception {
		this.api = this.resources.track(KubernetesApiServer.start());
		this.client = this.api.client();
		this.slices = new EndpointSlices(this.client, "shop");
	}

	private KubernetesServiceDiscovery discovery() {
		return this.resources.track(KubernetesServiceDiscovery.builder(this.client).namespace("shop").build());
	}

	@Test
	void endpointsAppearTurnNotReadyTerminateAndLeave() {
		KubernetesServiceDiscovery discovery = discovery();
		List<List<String>> seen = new CopyOnWriteArrayList<>();
		this.resources.track(discovery.watch("users",
				(instances) -> seen.add(instances.stream().map(ServiceInstance::instanceId).toList())));
		await().atMost(WAIT).until(() -> seen.contains(List.of()));

		this.slices.put("users", "users-abc", List.of(port("grpc", 9090)), pod("users-1"), pod("users-2"));
		await().atMost(WAIT).until(() -> seen.contains(List.of("users-1", "users-2")));
		ServiceInstance first = discovery.getInstances("users").get(0);
		assertThat(first.host()).isEqualTo("127.0.0.1");
		assertThat(first.port()).isEqualTo(9090);
		assertThat(first.metadata()).containsEntry("namespace", "shop")
			.containsEntry("zone", "zone-a")
			.containsEntry("node", "node-1")
			.containsEntry("pod-uid", "uid-users-1");

		// users-2's readiness probe fails: out of rotation, still listed as DOWN
		this.slices.put("users", "users-abc", List.of(port("grpc", 9090)), pod("users-1"),
				endpoint("users-2", "127.0.0.1", false, false, false));
		await().atMost(WAIT).until(() -> seen.get(seen.size() - 1).equals(List.of("users-1")));
		assertThat(discovery.getAllInstances("users")).extracting(ServiceInstance::status)
			.containsExactly(InstanceStatus.UP, InstanceStatus.DOWN);

		// users-1 is terminating while still serving: out at once
		this.slices.put("users", "users-abc", List.of(port("grpc", 9090)),
				endpoint("users-1", "127.0.0.1", false, true, true), endpoint("users-2", "127.0.0.1", true, true, false));
		await().atMost(WAIT).until(() -> seen.get(seen.size() - 1).equals(List.of("users-2")));

		this.slices.delete("users-abc");
		await().atMost(WAIT).until(() -> seen.get(seen.size() - 1).isEmpty());
		assertThat(discovery.getAllInstances("users")).isEmpty();
		assertThat(discovery.status().reachable()).isTrue();
		assertThat(discovery.status().details()).containsEntry("registration",
				"kubernetes readiness (grpc-scale registers nothing)");
	}

	@Test
	void aServiceIsTheUnionOfItsSlicesAndLeavesOtherServicesOut() {
		this.slices.put("users", "users-a", List.of(port("grpc", 9090)), pod("users-1"));
		this.slices.put("users", "users-b", List.of(port("grpc", 9091)), pod("users-2"));
		this.slices.put("orders", "orders-a", List.of(port("grpc", 9090)), pod("orders-1"));
		KubernetesServiceDiscovery discovery = discovery();

		assertThat(discovery.getInstances("users")).extracting(ServiceInstance::instanceId, ServiceInstance::port)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("users-1", 9090),
					org.assertj.core.groups.Tuple.tuple("users-2", 9091));
		assertThat(discovery.getServiceNames()).containsExactly("users");
	}

	@Test
	void thePortIsChosenByNameOrIsTheOnlyOne() {
		this.slices.put("named", "named-a", List.of(port("metrics", 9100), port("grpc", 9090), port("http", 8080)),
				pod("named-1"));
		this.slices.put("single", "single-a", List.of(port("rpc", 7000)), pod("single-1"));
		this.slices.put("ambiguous", "ambiguous-a", List.of(port("metrics", 9100), port("http", 8080)),
				pod("ambiguous-1"));
		KubernetesServiceDiscovery discovery = discovery();

		assertThat(discovery.getInstances("named")).extracting(ServiceInstance::port).containsExactly(9090);
		assertThat(discovery.getInstances("single")).extracting(ServiceInstance::port).containsExactly(7000);
		assertThat(discovery.getInstances("ambiguous")).isEmpty();

		KubernetesServiceDiscovery byOtherName = this.resources
			.track(KubernetesServiceDiscovery.builder(this.client).namespace("shop").portName("http").build());
		assertThat(byOtherName.getInstances("ambiguous")).extracting(ServiceInstance::port).containsExactly(8080);
	}

	@Test
	void aServiceCanBeMappedToAnotherKubernetesServiceAndNamespace() {
		new EndpointSlices(this.client, "billing").put("invoice-api", "invoice-api-a", List.of(port("grpc", 9090)),
				pod("invoice-1"));
		KubernetesServiceDiscovery discovery = this.resources.track(KubernetesServiceDiscovery.builder(this.client)
			.namespace("shop")
			.service("invoices", new KubernetesService("invoice-api", "billing"))
			.build());

		assertThat(discovery.getInstances("invoices")).singleElement().satisfies((instance) -> {
			assertThat(instance.serviceName()).isEqualTo("invoices");
			assertThat(instance.instanceId()).isEqualTo("invoice-1");
			assertThat(instance.metadata()).containsEntry("namespace", "billing");
		});
	}

	@Test
	void aServiceNobodyWatchesIsNoLongerFollowedAfterItsIdleTimeout() {
		this.slices.put("users", "users-a", List.of(port("grpc", 9090)), pod("users-1"));
		KubernetesServiceDiscovery discovery = this.resources.track(KubernetesServiceDiscovery.builder(this.client)
			.namespace("shop")
			.serviceIdleTimeout(Duration.ofMillis(300))
			.build());
		var watched = discovery.watch("watched", (instances) -> {
		});
		assertThat(discovery.getInstances("users")).hasSize(1);

		await().atMost(WAIT).until(() -> discovery.followedServiceNames().equals(java.util.Set.of("watched")));
		watched.cancel();
		await().atMost(WAIT).until(() -> discovery.followedServiceNames().isEmpty());
		// read again: followed again, with the current slices
		assertThat(discovery.getInstances("users")).hasSize(1);
	}

	@Test
	void registrationChangesNothingAndSaysSo() {
		KubernetesServiceDiscovery discovery = discovery();
		ServiceInstance self = new ServiceInstance("users", "me", "127.0.0.1", 9090, java.util.Map.of(),
				InstanceStatus.UP, java.time.Instant.now());
		discovery.register(self);
		assertThat(discovery.deregister("users", "me")).isFalse();
		assertThat(this.client.discovery().v1().endpointSlices().inAnyNamespace().list().getItems()).isEmpty();
		assertThat(discovery.status().details()).containsEntry("registration",
				"kubernetes readiness (grpc-scale registers nothing)");
	}

	@Test
	void aCutOffClientKeepsItsInstancesSaysSoAndCatchesUpWhenTheApiServerIsBack() {
		TcpProxy proxy = this.resources.track(TcpProxy.start("127.0.0.1", this.api.port()));
		KubernetesServiceDiscovery discovery = this.resources.track(KubernetesServiceDiscovery
			.builder(this.api.client("http://" + proxy.hostAndPort() + "/"))
			.namespace("shop")
			.build());
		this.slices.put("users", "users-a", List.of(port("grpc", 9090)), pod("users-1"));
		await().atMost(WAIT).until(() -> discovery.getInstances("users").size() == 1);
		await().atMost(WAIT).until(() -> discovery.status().reachable());

		proxy.drop();
		await().atMost(WAIT).until(() -> !discovery.status().reachable());
		assertThat(discovery.status().details()).containsKey("lastError");
		// the last known instances keep serving while the API server cannot be reached
		assertThat(discovery.getInstances("users")).extracting(ServiceInstance::instanceId).containsExactly("users-1");
		this.slices.put("users", "users-a", List.of(port("grpc", 9090)), pod("users-2"));

		proxy.heal();
		await().atMost(WAIT).until(() -> discovery.getInstances("users")
			.stream()
			.map(ServiceInstance::instanceId)
			.toList()
			.equals(List.of("users-2")));
		await().atMost(WAIT).until(() -> discovery.status().reachable());
	}

	@Test
	void builderRejectsInvalidValuesNamingThem() {
		KubernetesServiceDiscovery.Builder builder = KubernetesServiceDiscovery.builder(this.client);
		assertThatIllegalArgumentException().isThrownBy(() -> builder.namespace("Shop_1"))
			.withMessageStartingWith("namespace: 'Shop_1' (expected: a DNS label");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.portName(" "))
			.withMessage("portName: '' (expected: a port name such as grpc)");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.serviceIdleTimeout(Duration.ZERO))
			.withMessage("serviceIdleTimeout: PT0S (expected: > 0)");
	}

}
