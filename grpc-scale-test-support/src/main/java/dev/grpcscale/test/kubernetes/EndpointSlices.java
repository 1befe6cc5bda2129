package dev.grpcscale.test.kubernetes;

import java.util.ArrayList;
import java.util.List;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * EndpointSlices as Kubernetes' EndpointSlice controller writes them, for tests: a slice of a Service with
 * named ports and endpoints pointing at pods (node {@code node-1}, zone {@code zone-a}, uid {@code uid-<pod>}).
 */
public final class EndpointSlices {

	/** The label Kubernetes puts on the EndpointSlices of a Service. */
	public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

	private final KubernetesClient client;

	private final String namespace;

	/**
	 * Writes the slices of a namespace.
	 * @param client the client to write with
	 * @param namespace the namespace
	 */
	public EndpointSlices(KubernetesClient client, String namespace) {
		this.client = client;
		this.namespace = namespace;
	}

	/** A ready endpoint of a pod on 127.0.0.1. */
	public static Endpoint pod(String podName) {
		return endpoint(podName, "127.0.0.1", true, false, false);
	}

	/**
	 * An endpoint of a pod with the given conditions (serving is also set when ready).
	 * @param podName the pod's name, its targetRef
	 * @param address its IP address
	 * @param ready whether ready
	 * @param serving whether serving
	 * @param terminating whether terminating
	 * @return the endpoint
	 */
	public static Endpoint endpoint(String podName, String address, boolean ready, boolean serving, boolean terminating) {
		return new EndpointBuilder().withAddresses(address)
			.withNewConditions()
			.withReady(ready)
			.withServing(serving || ready)
			.withTerminating(terminating)
			.endConditions()
			.withNewTargetRef()
			.withKind("Pod")
			.withName(podName)
			.withNamespace("shop")
			.withUid("uid-" + podName)
			.endTargetRef()
			.withNodeName("node-1")
			.withZone("zone-a")
			.build();
	}

	/** A named TCP port. */
	public static EndpointPort port(String name, int port) {
		return new EndpointPortBuilder().withName(name).withPort(port).withProtocol("TCP").build();
	}

	/** Creates or replaces slice {@code sliceName} of Service {@code service}. */
	public EndpointSlice put(String service, String sliceName, List<EndpointPort> ports, Endpoint... endpoints) {
		EndpointSlice slice = new EndpointSliceBuilder().withNewMetadata()
			.withName(sliceName)
			.withNamespace(this.namespace)
			.addToLabels(SERVICE_NAME_LABEL, service)
			.endMetadata()
			.withAddressType("IPv4")
			.withPorts(ports)
			.withEndpoints(new ArrayList<>(List.of(endpoints)))
			.build();
		var slices = this.client.discovery().v1().endpointSlices().inNamespace(this.namespace);
		EndpointSlice existing = slices.withName(sliceName).get();
		if (existing == null) {
			return slices.resource(slice).create();
		}
		slice.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
		return slices.resource(slice).update();
	}

	/** Deletes a slice. */
	public void delete(String sliceName) {
		this.client.discovery().v1().endpointSlices().inNamespace(this.namespace).withName(sliceName).delete();
	}

}
