package dev.grpcscale.autoconfigure.discovery;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.springframework.boot.context.properties.PropertyMapper;

import dev.grpcscale.autoconfigure.KubernetesDiscoveryProperties;
import dev.grpcscale.discovery.kubernetes.KubernetesService;
import dev.grpcscale.discovery.kubernetes.KubernetesServiceDiscovery;

/**
 * Builds a {@link KubernetesServiceDiscovery} on the application's client from
 * {@code grpc.scale.service-discovery.kubernetes.*}.
 */
final class KubernetesDiscoveryFactory {

	private KubernetesDiscoveryFactory() {
	}

	static KubernetesServiceDiscovery create(KubernetesDiscoveryProperties properties, KubernetesClient client) {
		KubernetesServiceDiscovery.Builder builder = KubernetesServiceDiscovery.builder(client);
		PropertyMapper map = PropertyMapper.get();
		map.from(properties::getNamespace).to(builder::namespace);
		map.from(properties::getPortName).to(builder::portName);
		map.from(properties::getRequestTimeout).to(builder::requestTimeout);
		map.from(properties::getServiceIdleTimeout).to(builder::serviceIdleTimeout);
		String namespace = (properties.getNamespace() != null) ? properties.getNamespace()
				: KubernetesServiceDiscovery.clientNamespace(client);
		properties.getServices().forEach((service, mapping) -> builder.service(service,
				new KubernetesService((mapping.getServiceName() != null) ? mapping.getServiceName() : service,
						(mapping.getNamespace() != null) ? mapping.getNamespace() : namespace)));
		return builder.build();
	}

}
