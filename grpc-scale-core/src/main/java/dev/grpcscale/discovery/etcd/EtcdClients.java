package dev.grpcscale.discovery.etcd;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates jetcd {@link Client}s from connection settings: endpoints, credentials and TLS. It is what
 * {@link EtcdServiceRegistry.Builder} uses for a client of its own, and what a caller of
 * {@code EtcdLeaderElection.create(Client, ...)} can use to get one with the same checks.
 *
 * <pre>{@code
 * try (Client client = EtcdClients.builder().endpoints("https://etcd-1:2379")
 *         .caFile(Path.of("/etc/etcd/ca.pem")).username("orders").password(secret).build()) {
 *     ...
 * }
 * }</pre>
 *
 * <p>Setters reject bad values at once with an {@link IllegalArgumentException} naming the setting
 * ({@code endpoints}, {@code username}, {@code password}, {@code caFile}, {@code clientCertificate},
 * {@code clientKey}, {@code maxInboundMessageSize}), the value and what is expected; a password is never
 * shown. The caller owns and closes the client.
 *
 * <p>The client accepts responses of up to {@link #DEFAULT_MAX_INBOUND_MESSAGE_SIZE} (16 MiB) instead of
 * gRPC's 4 MiB, so that one page of a range read or one watch response with large values still fits;
 * discovery reads in pages well below either.
 *
 * <p>Every request of the client requires a leader (gRPC metadata {@value #REQUIRE_LEADER_KEY}{@code =true}, as
 * etcd's Go client sets with {@code WithRequireLeader}): a member cut off from its peers, or of a cluster that
 * lost its quorum, answers at once with {@code UNAVAILABLE: etcdserver: no leader} instead of serving stale
 * reads or holding requests until its own timeout, and closes the watches and keep-alive streams open on it
 * once it sees its leader gone. The client then retries on the next member (its round-robin), so it moves to
 * the members that still have a leader. A client not built here should set the same metadata
 * ({@code ClientBuilder.header("hasleader", "true")}).
 */
public final class EtcdClients {

	private static final Logger logger = LoggerFactory.getLogger(EtcdClients.class);

	/** Default bound on one message the client receives from etcd: 16 MiB (gRPC's own default is 4 MiB). */
	public static final int DEFAULT_MAX_INBOUND_MESSAGE_SIZE = 16 * 1024 * 1024;

	/** gRPC metadata key with which a request requires the member to know a leader (etcd's {@code rpctypes}). */
	public static final String REQUIRE_LEADER_KEY = "hasleader";

	/** Smallest accepted bound on one inbound message: 1 MiB. */
	public static final int MIN_MAX_INBOUND_MESSAGE_SIZE = 1024 * 1024;

	private EtcdClients() {
	}

	/** Starts a builder: no endpoints, no credentials, no TLS. */
	public static Builder builder() {
		return new Builder();
	}

	/** Builds a jetcd {@link Client}; see {@link EtcdClients}. Not thread-safe. */
	public static final class Builder {

		private final List<String> endpoints = new ArrayList<>();

		private @Nullable String username;

		private @Nullable String password;

		private boolean tls;

		private @Nullable Path caFile;

		private @Nullable Path clientCertificate;

		private @Nullable Path clientKey;

		private @Nullable KeyManagerFactory keyManagers;

		private @Nullable TrustManagerFactory trustManagers;

		private int maxInboundMessageSize = DEFAULT_MAX_INBOUND_MESSAGE_SIZE;

		private Builder() {
		}

		/**
		 * etcd client URLs, {@code http://host:port} or {@code https://host:port}; replaces endpoints set
		 * before.
		 * @throws IllegalArgumentException if a URL is not of that form
		 */
		public Builder endpoints(String... endpoints) {
			return endpoints(List.of(endpoints));
		}

		/**
		 * etcd client URLs; see {@link #endpoints(String...)}.
		 * @throws IllegalArgumentException if a URL is not of that form
		 */
		public Builder endpoints(List<String> endpoints) {
			Objects.requireNonNull(endpoints, "endpoints");
			List<String> checked = new ArrayList<>();
			for (String endpoint : endpoints) {
				checked.add(checkEndpoint(endpoint));
			}
			this.endpoints.clear();
			this.endpoints.addAll(checked);
			return this;
		}

		private static String checkEndpoint(@Nullable String endpoint) {
			String expected = " (expected: http://host:port or https://host:port, no user info or path)";
			if (endpoint == null) {
				throw new IllegalArgumentException("endpoints: null" + expected);
			}
			URI uri;
			try {
				uri = new URI(endpoint);
			}
			catch (URISyntaxException ex) {
				throw new IllegalArgumentException("endpoints: '" + endpoint + "'" + expected);
			}
			boolean valid = ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
					&& uri.getHost() != null && uri.getPort() > 0 && uri.getUserInfo() == null
					&& (uri.getPath() == null || uri.getPath().isEmpty() || "/".equals(uri.getPath()))
					&& uri.getQuery() == null && uri.getFragment() == null;
			if (!valid) {
				// never echo user info: it may hold a password
				String shown = (uri.getUserInfo() != null) ? uri.getScheme() + "://***@" + uri.getHost() : endpoint;
				throw new IllegalArgumentException("endpoints: '" + shown + "'" + expected);
			}
			return uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort();
		}

		/**
		 * etcd user name, with {@link #password(String)}. Never logged.
		 * @throws IllegalArgumentException if blank
		 */
		public Builder username(String username) {
			Objects.requireNonNull(username, "username");
			if (username.isBlank()) {
				throw new IllegalArgumentException("username: '' (expected: not blank)");
			}
			this.username = username;
			return this;
		}

		/**
		 * etcd password, with {@link #username(String)}. Never logged nor shown in messages.
		 * @throws IllegalArgumentException if empty
		 */
		public Builder password(String password) {
			Objects.requireNonNull(password, "password");
			if (password.isEmpty()) {
				throw new IllegalArgumentException("password: (empty) (expected: not empty)");
			}
			this.password = password;
			return this;
		}

		/**
		 * Whether to use TLS with the JVM's default trust store. Implied by {@link #caFile(Path)},
		 * {@link #clientCertificate(Path, Path)} and {@code https://} endpoints. Default false.
		 */
		public Builder tls(boolean tls) {
			this.tls = tls;
			return this;
		}

		/**
		 * PEM file of the CA certificates that sign etcd's server certificate; enables TLS.
		 * @throws IllegalArgumentException if the file is not readable
		 */
		public Builder caFile(Path caFile) {
			this.caFile = readable("caFile", caFile);
			this.tls = true;
			return this;
		}

		/**
		 * Client certificate chain and PKCS#8 private key (PEM) for etcd's {@code --client-cert-auth};
		 * enables TLS.
		 * @throws IllegalArgumentException if a file is not readable
		 */
		public Builder clientCertificate(Path certificateChain, Path privateKey) {
			this.clientCertificate = readable("clientCertificate", certificateChain);
			this.clientKey = readable("clientKey", privateKey);
			this.tls = true;
			return this;
		}

		/**
		 * Key and trust managers for TLS, for example those of a Spring Boot SSL bundle; enables TLS.
		 * @param keyManagers this client's certificate for etcd's {@code --client-cert-auth}, or
		 * {@code null} for none
		 * @param trustManagers what etcd's certificate is checked against, or {@code null} for the JVM's
		 * default trust
		 */
		public Builder sslManagers(@Nullable KeyManagerFactory keyManagers, @Nullable TrustManagerFactory trustManagers) {
			this.keyManagers = keyManagers;
			this.trustManagers = trustManagers;
			this.tls = true;
			return this;
		}

		private static Path readable(String what, Path file) {
			Objects.requireNonNull(file, what);
			if (!Files.isReadable(file) || Files.isDirectory(file)) {
				throw new IllegalArgumentException(what + ": '" + file + "' (expected: a readable PEM file)");
			}
			return file;
		}

		/**
		 * Bound on one message received from etcd (a range page, a watch response), in bytes. Default
		 * {@link EtcdClients#DEFAULT_MAX_INBOUND_MESSAGE_SIZE} (16 MiB).
		 * @throws IllegalArgumentException if below {@link EtcdClients#MIN_MAX_INBOUND_MESSAGE_SIZE} (1 MiB)
		 */
		public Builder maxInboundMessageSize(int bytes) {
			if (bytes < MIN_MAX_INBOUND_MESSAGE_SIZE) {
				throw new IllegalArgumentException(
						"maxInboundMessageSize: " + bytes + " (expected: >= " + MIN_MAX_INBOUND_MESSAGE_SIZE + " bytes, 1 MiB)");
			}
			this.maxInboundMessageSize = bytes;
			return this;
		}

		/** The endpoints set so far, normalised to {@code scheme://host:port}. */
		public List<String> endpoints() {
			return List.copyOf(this.endpoints);
		}

		/** Whether any endpoint, credential, TLS or message size setting was given. */
		public boolean isConfigured() {
			return !this.endpoints.isEmpty() || this.username != null || this.password != null || this.tls
					|| this.maxInboundMessageSize != DEFAULT_MAX_INBOUND_MESSAGE_SIZE;
		}

		/**
		 * Creates the client. No request is sent yet.
		 * @return a new client; the caller closes it
		 * @throws IllegalArgumentException if only one of username and password is set, no endpoint is set,
		 * {@code http://} and {@code https://} endpoints are mixed, {@code http://} endpoints come with TLS,
		 * or the TLS files are not valid PEM
		 */
		public Client build() {
			if ((this.username == null) != (this.password == null)) {
				throw new IllegalArgumentException((this.username == null)
						? "username: not set (expected: set together with password)"
						: "password: not set (expected: set together with username)");
			}
			if (this.endpoints.isEmpty()) {
				throw new IllegalArgumentException(
						"endpoints: [] (expected: at least one etcd client URL, or a client)");
			}
			boolean https = this.endpoints.stream().anyMatch((endpoint) -> endpoint.startsWith("https:"));
			boolean http = this.endpoints.stream().anyMatch((endpoint) -> endpoint.startsWith("http:"));
			if (https && http) {
				throw new IllegalArgumentException(
						"endpoints: " + this.endpoints + " (expected: all http:// or all https://)");
			}
			boolean useTls = this.tls || https;
			if (useTls && http) {
				throw new IllegalArgumentException(
						"endpoints: " + this.endpoints + " (expected: https:// endpoints when TLS is configured)");
			}
			ClientBuilder clientBuilder = Client.builder()
				.endpoints(this.endpoints.stream().map(URI::create).toArray(URI[]::new))
				.maxInboundMessageSize(this.maxInboundMessageSize)
				.header(REQUIRE_LEADER_KEY, "true");
			if (this.username != null && this.password != null) {
				clientBuilder.user(ByteSequence.from(this.username, StandardCharsets.UTF_8))
					.password(ByteSequence.from(this.password, StandardCharsets.UTF_8));
				if (!useTls) {
					logger.warn("The etcd password of user '{}' is sent unencrypted to {}: use https:// endpoints "
							+ "with TLS (in Spring Boot: grpc.scale.service-discovery.etcd.tls.*)", this.username,
							this.endpoints);
				}
			}
			if (useTls) {
				try {
					clientBuilder.sslContext((ssl) -> {
						if (this.trustManagers != null) {
							ssl.trustManager(this.trustManagers);
						}
						else if (this.caFile != null) {
							ssl.trustManager(this.caFile.toFile());
						}
						if (this.keyManagers != null) {
							ssl.keyManager(this.keyManagers);
						}
						else if (this.clientCertificate != null && this.clientKey != null) {
							ssl.keyManager(this.clientCertificate.toFile(), this.clientKey.toFile());
						}
					});
				}
				catch (SSLException | IllegalArgumentException ex) {
					throw new IllegalArgumentException("caFile/clientCertificate: " + this.caFile + ", "
							+ this.clientCertificate + " (expected: PEM certificates and a PKCS#8 PEM key): "
							+ ex.getMessage(), ex);
				}
			}
			return clientBuilder.build();
		}

	}

}
