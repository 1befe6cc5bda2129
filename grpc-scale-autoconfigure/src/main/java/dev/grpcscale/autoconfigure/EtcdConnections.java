package dev.grpcscale.autoconfigure;

import java.util.Objects;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;

import dev.grpcscale.discovery.etcd.EtcdClients;

/**
 * Maps the connection part of a {@code grpc.scale.*.etcd} tree (endpoints, credentials, TLS) onto an
 * {@link EtcdClients.Builder}, for the application's etcd client and a cluster client of its own alike, and
 * tells whether two trees connect the same way (then one client serves both).
 */
public final class EtcdConnections {

	private EtcdConnections() {
	}

	/**
	 * The connection settings of {@code etcd}.
	 * @param etcd the bound properties
	 * @param sslBundles the application's SSL bundles, for {@code tls.bundle}; may be {@code null} without one
	 * @return a builder of clients with those settings
	 * @throws IllegalArgumentException if the builder rejects a value (bound properties were checked already)
	 */
	public static EtcdClients.Builder connection(GrpcScaleDiscoveryProperties.EtcdConnection etcd,
			@Nullable SslBundles sslBundles) {
		EtcdClients.Builder builder = EtcdClients.builder();
		String bundleName = etcd.getTls().getBundle();
		if (bundleName != null) {
			SslBundle bundle = requireBundles(sslBundles, bundleName).getBundle(bundleName);
			builder.sslManagers(bundle.getManagers().getKeyManagerFactory(),
					bundle.getManagers().getTrustManagerFactory());
		}
		PropertyMapper map = PropertyMapper.get();
		map.from(etcd::getEndpoints).to(builder::endpoints);
		map.from(etcd::getUsername).to(builder::username);
		map.from(etcd::getPassword).to(builder::password);
		map.from(etcd.getTls()::isEnabled).to(builder::tls);
		map.from(etcd::getMaxInboundMessageSize).as((size) -> (int) size.toBytes()).to(builder::maxInboundMessageSize);
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

	/**
	 * Whether two trees have the same connection settings (endpoints, credentials, TLS, inbound message
	 * limit), so that one client
	 * serves both; namespace, lease TTL and request timeout do not count.
	 * @param first one tree
	 * @param second another
	 * @return whether the connection settings are equal
	 */
	public static boolean sameConnection(GrpcScaleDiscoveryProperties.EtcdConnection first,
			GrpcScaleDiscoveryProperties.EtcdConnection second) {
		return first.getEndpoints().equals(second.getEndpoints())
				&& Objects.equals(first.getMaxInboundMessageSize(), second.getMaxInboundMessageSize())
				&& Objects.equals(first.getUsername(), second.getUsername())
				&& Objects.equals(first.getPassword(), second.getPassword())
				&& first.getTls().isEnabled() == second.getTls().isEnabled()
				&& Objects.equals(first.getTls().getCaFile(), second.getTls().getCaFile())
				&& Objects.equals(first.getTls().getCertFile(), second.getTls().getCertFile())
				&& Objects.equals(first.getTls().getKeyFile(), second.getTls().getKeyFile())
				&& Objects.equals(first.getTls().getBundle(), second.getTls().getBundle());
	}

	/**
	 * The application's SSL bundles, to look a bundle up in.
	 * @param sslBundles the bundles, {@code null} without Spring Boot's SSL auto-configuration
	 * @param name the bundle asked for
	 * @return the bundles
	 * @throws IllegalStateException if there are none
	 */
	static SslBundles requireBundles(@Nullable SslBundles sslBundles, String name) {
		if (sslBundles == null) {
			throw new IllegalStateException("SSL bundle '" + name + "' is asked for, but the application has no "
					+ "SslBundles (Spring Boot's SslAutoConfiguration)");
		}
		return sslBundles;
	}

}
