package dev.grpcscale.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Locale;
import java.util.Objects;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.ssl.SslBundles;

import dev.grpcscale.consul.ConsulConnection;

/**
 * Maps the connection part of a {@code grpc.scale.*.consul} tree (host, port, scheme, token, request timeout,
 * TLS trust store) onto a {@link ConsulConnection}, for the application's {@code ConsulClient} and a cluster
 * client of its own alike, and tells whether two trees connect the same way (then one client serves both).
 * The token and the trust store password are never part of a message.
 */
public final class ConsulConnections {

	private ConsulConnections() {
	}

	/**
	 * The connection settings of {@code consul}.
	 * @param consul the bound properties
	 * @param sslBundles the application's SSL bundles, for {@code tls.bundle}; may be {@code null} without one
	 * @return the connection to the agent
	 * @throws IllegalArgumentException if the builder rejects a value, or the trust store cannot be read or
	 * opened with its type and password (bound properties were checked for both already)
	 */
	public static ConsulConnection connection(GrpcScaleDiscoveryProperties.ConsulConnection consul,
			@Nullable SslBundles sslBundles) {
		ConsulConnection.Builder builder = ConsulConnection.builder();
		PropertyMapper map = PropertyMapper.get();
		map.from(consul::getHost).to(builder::host);
		map.from(consul::getPort).to(builder::port);
		map.from(consul::getScheme).as((scheme) -> scheme.name().toLowerCase(Locale.ROOT)).to(builder::scheme);
		map.from(consul::getToken).to(builder::token);
		map.from(consul::getRequestTimeout).to(builder::requestTimeout);
		map.from(trustStore(consul.getTls())).to(builder::trustStore);
		String bundleName = consul.getTls().getBundle();
		if (bundleName != null) {
			builder.scheme("https");
			builder.sslContext(EtcdConnections.requireBundles(sslBundles, bundleName).getBundle(bundleName).createSslContext());
		}
		return builder.build();
	}

	private static @Nullable KeyStore trustStore(GrpcScaleDiscoveryProperties.ConsulConnection.Tls tls) {
		if (tls.getTrustStore() == null) {
			return null;
		}
		String type = tls.getTrustStoreType();
		String password = tls.getTrustStorePassword();
		try (InputStream in = Files.newInputStream(tls.getTrustStore())) {
			KeyStore store = KeyStore.getInstance(type);
			store.load(in, (password != null) ? password.toCharArray() : null);
			return store;
		}
		catch (IOException | GeneralSecurityException ex) {
			// the exception's message may name the cause (wrong password, bad format), never the password
			throw new IllegalArgumentException("trustStore: '" + tls.getTrustStore() + "' (expected: a readable "
					+ type + " key store opened by tls.trust-store-password: " + ex.getMessage() + ")", ex);
		}
	}

	/**
	 * Whether two trees have the same connection settings (host, port, scheme, token, request timeout, trust
	 * store), so that one client serves both.
	 * @param first one tree
	 * @param second another
	 * @return whether the connection settings are equal
	 */
	public static boolean sameConnection(GrpcScaleDiscoveryProperties.ConsulConnection first,
			GrpcScaleDiscoveryProperties.ConsulConnection second) {
		return first.getHost().equals(second.getHost()) && first.getPort() == second.getPort()
				&& first.getScheme() == second.getScheme()
				&& Objects.equals(first.getToken(), second.getToken())
				&& first.getRequestTimeout().equals(second.getRequestTimeout())
				&& Objects.equals(first.getTls().getTrustStore(), second.getTls().getTrustStore())
				&& Objects.equals(first.getTls().getTrustStoreType(), second.getTls().getTrustStoreType())
				&& Objects.equals(first.getTls().getTrustStorePassword(), second.getTls().getTrustStorePassword())
				&& Objects.equals(first.getTls().getBundle(), second.getTls().getBundle());
	}

}
