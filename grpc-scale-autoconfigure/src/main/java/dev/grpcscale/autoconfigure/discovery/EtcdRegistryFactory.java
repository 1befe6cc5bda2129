package dev.grpcscale.autoconfigure.discovery;

import io.etcd.jetcd.Client;
import org.springframework.boot.context.properties.PropertyMapper;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.ssl.SslBundles;

import dev.grpcscale.autoconfigure.EtcdConnections;
import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;

/**
 * Builds the application's jetcd {@link Client} and an {@link EtcdServiceRegistry} on it from
 * {@code grpc.scale.service-discovery.etcd.*}, validated when they were bound.
 */
final class EtcdRegistryFactory {

	static final String PREFIX = "grpc.scale.service-discovery.etcd.";

	private EtcdRegistryFactory() {
	}

	/** The client of the connection settings (endpoints, credentials, TLS). */
	static Client client(GrpcScaleDiscoveryProperties.Etcd etcd, @Nullable SslBundles sslBundles) {
		return EtcdConnections.connection(etcd, sslBundles).build();
	}

	/** The registry on a client it does not own. */
	static EtcdServiceRegistry create(GrpcScaleDiscoveryProperties.Etcd etcd, Client client) {
		EtcdServiceRegistry.Builder builder = EtcdServiceRegistry.builder().client(client);
		PropertyMapper map = PropertyMapper.get();
		map.from(etcd::getNamespace).to(builder::namespace);
		map.from(etcd::getLeaseTtl).to(builder::leaseTtl);
		map.from(etcd::getRequestTimeout).to(builder::requestTimeout);
		map.from(etcd::getServiceIdleTimeout).to(builder::serviceIdleTimeout);
		return builder.build();
	}

}
