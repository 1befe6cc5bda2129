package dev.grpcscale.discovery.kubernetes;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Testcontainers;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.kubernetes.EndpointSlices;
import dev.grpcscale.test.kubernetes.K3sCluster;

import static dev.grpcscale.test.kubernetes.EndpointSlices.endpoint;
import static dev.grpcscale.test.kubernetes.EndpointSlices.port;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link KubernetesServiceDiscovery} against a real Kubernetes API server (k3s in a container, {@link K3sCluster},
 * shared with the Lease election's k3s tests). Skipped where no Docker engine is available;
 * {@link KubernetesServiceDiscoveryTests} covers the same on fabric8's mock API server. The Service has no
 * selector, so its EndpointSlices are the test's own, as Kubernetes allows for endpoints it does not manage (and
 * it rejects loopback addresses: the instances are not dialled here).
 */
@Testcontainers(disabledWithoutDocker = true)
class KubernetesServiceDiscoveryK3sTests {

	private static final Duration WAIT = Duration.ofSeconds(60);

	private static KubernetesClient client;

	@BeforeAll
	static void connect() {
		client = K3sCluster.newClient();
		client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build())
			.create();
		client.services()
			.inNamespace("shop")
			.resource(new ServiceBuilder().withNewMetadata()
				.withName("users")
				.endMetadata()
				.withNewSpec()
				.addNewPort()
				.withName("grpc")
				.withPort(9090)
				.endPort()
				.endSpec()
				.build())
			.create();
	}

	@AfterAll
	static void disconnect() {
		if (client != null) {
			client.close();
		}
	}

	@Test
	void endpointsAppearTurnNotReadyTerminateAndLeave() {
		EndpointSlices slices = new EndpointSlices(client, "shop");
		try (KubernetesServiceDiscovery discovery = KubernetesServiceDiscovery.builder(client).namespace("shop").build()) {
			List<List<String>> seen = new CopyOnWriteArrayList<>();
			discovery.watch("users", (instances) -> seen.add(instances.stream().map(ServiceInstance::instanceId).toList()));

			slices.put("users", "users-own", List.of(port("grpc", 9090)),
					endpoint("users-1", "10.0.0.1", true, true, false), endpoint("users-2", "10.0.0.2", true, true, false));
			await().atMost(WAIT).until(() -> !seen.isEmpty() && seen.get(seen.size() - 1).equals(List.of("users-1", "users-2")));
			assertThat(discovery.getInstances("users")).extracting(ServiceInstance::address)
				.containsExactly("10.0.0.1:9090", "10.0.0.2:9090");

			slices.put("users", "users-own", List.of(port("grpc", 9090)),
					endpoint("users-1", "10.0.0.1", true, true, false), endpoint("users-2", "10.0.0.2", false, false, false));
			await().atMost(WAIT).until(() -> seen.get(seen.size() - 1).equals(List.of("users-1")));
			assertThat(discovery.getAllInstances("users")).extracting(ServiceInstance::status)
				.containsExactly(InstanceStatus.UP, InstanceStatus.DOWN);

			slices.put("users", "users-own", List.of(port("grpc", 9090)),
					endpoint("users-1", "10.0.0.1", false, true, true), endpoint("users-2", "10.0.0.2", true, true, false));
			await().atMost(WAIT).until(() -> seen.get(seen.size() - 1).equals(List.of("users-2")));

			slices.delete("users-own");
			await().atMost(WAIT).until(() -> seen.get(seen.size() - 1).isEmpty());
			assertThat(discovery.status().reachable()).isTrue();
		}
	}

}
