package dev.grpcscale.autoconfigure.discovery;

import java.util.Map;

import org.springframework.boot.context.properties.PropertyMapper;

import dev.grpcscale.autoconfigure.GrpcScaleProperties;
import dev.grpcscale.autoconfigure.InvalidGrpcScalePropertiesException;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;

/**
 * Builds an {@link EtcdServiceRegistry} from {@code grpc.scale.*.etcd} properties; a value the builder
 * rejects stops start-up with the property's name.
 */
final class EtcdRegistryFactory {

	/** Builder setting to property, relative to the etcd prefix. */
	private static final Map<String, String> PROPERTIES = Map.of("endpoints", "endpoints", "namespace", "namespace",
			"leaseTtl", "lease-ttl", "requestTimeout", "request-timeout", "username", "username", "password",
			"password", "caFile", "tls.ca-file", "clientCertificate", "tls.cert-file", "clientKey", "tls.key-file");

	private EtcdRegistryFactory() {
	}

	static EtcdServiceRegistry create(GrpcScaleProperties.Etcd etcd, String prefix) {
		try {
			EtcdServiceRegistry.Builder builder = EtcdServiceRegistry.builder();
			PropertyMapper map = PropertyMapper.get();
			map.from(etcd::getEndpoints).to(builder::endpoints);
			map.from(etcd::getNamespace).to(builder::namespace);
			map.from(etcd::getLeaseTtl).to(builder::leaseTtl);
			map.from(etcd::getRequestTimeout).to(builder::requestTimeout);
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
			return builder.build();
		}
		catch (IllegalArgumentException ex) {
			throw InvalidGrpcScalePropertiesException.fromBuilder(prefix, PROPERTIES, ex);
		}
	}

}
