package dev.grpcscale.autoconfigure.discovery;

import org.springframework.boot.context.properties.PropertyMapper;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.ssl.SslBundles;

import dev.grpcscale.autoconfigure.ConsulConnections;
import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.discovery.consul.ConsulServiceRegistry;

/**
 * Builds the application's {@link ConsulClient} and a {@link ConsulServiceRegistry} on it from
 * {@code grpc.scale.service-discovery.consul.*}, validated when they were bound.
 */
final class ConsulRegistryFactory {

	static final String PREFIX = "grpc.scale.service-discovery.consul.";

	private ConsulRegistryFactory() {
	}

	/** The client of the connection settings. */
	static ConsulClient client(GrpcScaleDiscoveryProperties.Consul consul, @Nullable SslBundles sslBundles) {
		return ConsulClient.create(ConsulConnections.connection(consul, sslBundles));
	}

	/** The registry on a client it does not own. */
	static ConsulServiceRegistry create(GrpcScaleDiscoveryProperties.Consul consul, ConsulClient client) {
		ConsulServiceRegistry.Builder builder = ConsulServiceRegistry.builder().client(client);
		PropertyMapper map = PropertyMapper.get();
		map.from(consul::getDatacenter).to(builder::datacenter);
		map.from(consul::getCheckType).to(builder::checkType);
		map.from(consul::isGrpcUseTls).to(builder::grpcUseTls);
		map.from(consul::getCheckInterval).to(builder::checkInterval);
		map.from(consul::getDeregisterCriticalAfter).to(builder::deregisterCriticalAfter);
		map.from(consul::getTags).to(builder::tags);
		map.from(consul::getBlockingQueryWait).to(builder::blockingQueryWait);
		map.from(consul::getWatchIdleTimeout).to(builder::watchIdleTimeout);
		return builder.build();
	}

}
