package dev.grpcscale.autoconfigure.discovery;

import java.util.HashMap;
import java.util.Map;

import io.etcd.jetcd.Client;
import org.springframework.boot.context.properties.PropertyMapper;

import dev.grpcscale.autoconfigure.EtcdConnections;
import dev.grpcscale.autoconfigure.GrpcScaleProperties;
import dev.grpcscale.autoconfigure.InvalidGrpcScalePropertiesException;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;

/**
 * Builds the application's jetcd {@link Client} and an {@link EtcdServiceRegistry} on it from
 * {@code grpc.scale.service-discovery.etcd.*}; a value a builder rejects stops start-up with the property's
 * name.
 */
final class EtcdRegistryFactory {

	static final String PREFIX = "grpc.scale.service-discovery.etcd.";

	/** Builder setting to property, relative to the etcd prefix. */
	private static final Map<String, String> PROPERTIES;

	static {
		Map<String, String> properties = new HashMap<>(EtcdConnections.PROPERTIES);
		properties.putAll(Map.of("namespace", "namespace", "leaseTtl", "lease-ttl", "requestTimeout", "request-timeout"));
		PROPERTIES = Map.copyOf(properties);
	}

	private EtcdRegistryFactory() {
	}

	/** The client of the connection settings (endpoints, credentials, TLS). */
	static Client client(GrpcScaleProperties.Etcd etcd) {
		try {
			return EtcdConnections.connection(etcd).build();
		}
		catch (IllegalArgumentException ex) {
			throw InvalidGrpcScalePropertiesException.fromBuilder(PREFIX, EtcdConnections.PROPERTIES, ex);
		}
	}

	/** The registry on a client it does not own. */
	static EtcdServiceRegistry create(GrpcScaleProperties.Etcd etcd, Client client) {
		try {
			EtcdServiceRegistry.Builder builder = EtcdServiceRegistry.builder().client(client);
			PropertyMapper map = PropertyMapper.get();
			map.from(etcd::getNamespace).to(builder::namespace);
			map.from(etcd::getLeaseTtl).to(builder::leaseTtl);
			map.from(etcd::getRequestTimeout).to(builder::requestTimeout);
			return builder.build();
		}
		catch (IllegalArgumentException ex) {
			throw InvalidGrpcScalePropertiesException.fromBuilder(PREFIX, PROPERTIES, ex);
		}
	}

}
