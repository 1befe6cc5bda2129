package dev.grpcscale.autoconfigure.discovery;

import org.springframework.boot.context.properties.PropertyMapper;

import dev.grpcscale.autoconfigure.ConsulConnections;
import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.discovery.consul.ConsulServiceRegistry;

/**
 * Builds a {@link ConsulServiceRegistry} from {@code grpc.scale.service-discovery.consul.*}, validated
 * when they were bound.
 */
final class ConsulRegistryFactory {

	static final String PREFIX = "grpc.scale.service-discovery.consul.";

	private ConsulRegistryFactory() {
	}

	static ConsulServiceRegistry create(GrpcScaleDiscoveryProperties.Consul consul) {
		ConsulServiceRegistry.Builder builder = ConsulServiceRegistry.builder()
			.connection(ConsulConnections.connection(consul));
		PropertyMapper map = PropertyMapper.get();
		map.from(consul::getDatacenter).to(builder::datacenter);
		map.from(consul::getCheckType).to(builder::checkType);
		map.from(consul::isGrpcUseTls).to(builder::grpcUseTls);
		map.from(consul::getCheckInterval).to(builder::checkInterval);
		map.from(consul::getDeregisterCriticalAfter).to(builder::deregisterCriticalAfter);
		map.from(consul::getTags).to(builder::tags);
		map.from(consul::getBlockingQueryWait).to(builder::blockingQueryWait);
		return builder.build();
	}

}
