package dev.grpcscale.autoconfigure.discovery;

import java.util.HashMap;
import java.util.Map;

import org.springframework.boot.context.properties.PropertyMapper;

import dev.grpcscale.autoconfigure.EtcdConnections;
import dev.grpcscale.autoconfigure.GrpcScaleProperties;
import dev.grpcscale.autoconfigure.InvalidGrpcScalePropertiesException;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;

/**
 * Builds an {@link EtcdServiceRegistry} from {@code grpc.scale.*.etcd} properties; a value the builder
 * rejects stops start-up with the property's name.
 */
final class EtcdRegistryFactory {

	/** Builder setting to property, relative to the etcd prefix. */
	private static final Map<String, String> PROPERTIES;

	static {
		Map<String, String> properties = new HashMap<>(EtcdConnections.PROPERTIES);
		properties.putAll(Map.of("namespace", "namespace", "leaseTtl", "lease-ttl", "requestTimeout", "request-timeout"));
		PROPERTIES = Map.copyOf(properties);
	}

	private EtcdRegistryFactory() {
	}

	static EtcdServiceRegistry create(GrpcScaleProperties.Etcd etcd, String prefix) {
		try {
			EtcdServiceRegistry.Builder builder = EtcdServiceRegistry.builder().connection(EtcdConnections.connection(etcd));
			PropertyMapper map = PropertyMapper.get();
			map.from(etcd::getNamespace).to(builder::namespace);
			map.from(etcd::getLeaseTtl).to(builder::leaseTtl);
			map.from(etcd::getRequestTimeout).to(builder::requestTimeout);
			return builder.build();
		}
		catch (IllegalArgumentException ex) {
			throw InvalidGrpcScalePropertiesException.fromBuilder(prefix, PROPERTIES, ex);
		}
	}

}
