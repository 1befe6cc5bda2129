package dev.grpcscale.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

import org.jspecify.annotations.Nullable;

/**
 * Reads the trust store of a {@code tls} group of Consul properties ({@code trust-store},
 * {@code trust-store-type}, {@code trust-store-password}), for discovery's and the cluster's Consul clients
 * alike. The password is never part of a message.
 */
public final class ConsulTrustStore {

	private ConsulTrustStore() {
	}

	/**
	 * The trust store of {@code tls}.
	 * @param tls the TLS properties
	 * @return the loaded key store, or {@code null} when {@code trust-store} is unset
	 * @throws IllegalArgumentException {@code "trustStore: '<file>' (expected: ...)"} if the file cannot be
	 * read or opened with the type and password
	 */
	public static @Nullable KeyStore load(GrpcScaleProperties.ConsulConnection.Tls tls) {
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

}
