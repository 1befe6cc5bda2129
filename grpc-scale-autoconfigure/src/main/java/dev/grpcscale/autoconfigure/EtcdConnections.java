package dev.grpcscale.autoconfigure;

import org.springframework.boot.context.properties.PropertyMapper;

import dev.grpcscale.discovery.etcd.EtcdClients;

/**
 * Maps the connection part of a {@code grpc.scale.*.etcd} tree (endpoints, credentials, TLS) onto an
 * {@link EtcdClients.Builder}, for discovery's registry and the cluster's client alike.
 */
public final class EtcdConnections {

	private EtcdConnections() {
	}

	/**
	 * The connection settings of {@code etcd}.
	 * @param etcd the bound properties
	 * @return a builder of clients with those settings
	 * @throws IllegalArgumentException if the builder rejects a value (bound properties were checked already)
	 */
	public static EtcdClients.Builder connection(GrpcScaleDiscoveryProperties.EtcdConnection etcd) {
		EtcdClients.Builder builder = EtcdClients.builder();
		PropertyMapper map = PropertyMapper.get();
		map.from(etcd::getEndpoints).to(builder::endpoints);
		map.from(etcd::getUsername).to(builder::username);
		map.from(etcd::getPassword).to(builder::password);
		map.from(etcd.getTls()::isEnabled).to(builder::tls);
		map.from(etcd.getTls()::getCaFile).to(builder::caFile);
		if (etcd.getTls().getCertFile() != null || etcd.getTls().getKeyFile() != null) {
			if (etcd.getTls().getCertFile() == null || etcd.getTls().getKeyFile() == null) {
				throw new IllegalArgumentException((etcd.getTls().getCertFile() == null ? "clientCertificate"
						: "clientKey") + ": '' (expected: tls.cert-file and tls.key-file set together)");
			}
			builder.clientCertificate(etcd.getTls().getCertFile(), etcd.getTls().getKeyFile());
		}
		return builder;
	}

}
