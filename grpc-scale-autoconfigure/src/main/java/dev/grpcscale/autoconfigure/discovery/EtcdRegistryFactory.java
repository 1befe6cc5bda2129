package dev.grpcscale.autoconfigure.discovery;

import org.springframework.boot.context.properties.PropertyMapper;

import dev.grpcscale.autoconfigure.EtcdConnections;
import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;

/**
 * Builds an {@link EtcdServiceRegistry} from {@code grpc.scale.service-discovery.etcd.*}, validated when they
 * were bound.
 */
final class EtcdRegistryFactory {

	private EtcdRegistryFactory() {
	}

	static EtcdServiceRegistry create(GrpcScaleDiscoveryProperties.Etcd etcd, String prefix) {
		EtcdServiceRegistry.Builder builder = EtcdServiceRegistry.builder().connection(EtcdConnections.connection(etcd));
		PropertyMapper map = PropertyMapper.get();
		map.from(etcd::getNamespace).to(builder::namespace);
		map.from(etcd::getLeaseTtl).to(builder::leaseTtl);
		map.from(etcd::getRequestTimeout).to(builder::requestTimeout);
		return builder.build();
	}

}
