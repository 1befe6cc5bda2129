package dev.grpcscale.consul;

import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.jspecify.annotations.Nullable;

/**
 * The connection to a Consul agent's HTTP API: host, port, scheme, TLS trust, ACL token and request timeout.
 * {@code ConsulServiceRegistry.Builder} and {@code ConsulLeaderElection.Builder} both take one through
 * {@code connection(...)}, so discovery and the cluster can share it.
 *
 * <pre>{@code
 * ConsulConnection agent = ConsulConnection.builder().host("consul.local").port(8501)
 *     .trustStore(caStore).token(aclToken).build();
 * ConsulServiceRegistry registry = ConsulServiceRegistry.builder().connection(agent).build();
 * }</pre>
 *
 * <p>Immutable. The ACL token is sent as the {@code X-Consul-Token} header only; {@link #toString()} says
 * whether one is set, never the token.
 */
public final class ConsulConnection {

	private final URI agent;

	private final @Nullable SSLContext sslContext;

	private final @Nullable String token;

	private final Duration requestTimeout;

	private ConsulConnection(Builder builder, URI agent) {
		this.agent = agent;
		this.sslContext = builder.sslContext;
		this.token = builder.token;
		this.requestTimeout = builder.requestTimeout;
	}

	/** Starts a builder: {@code http://localhost:8500}, no token, request timeout 10s. */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * The agent at {@code host:port} over plain HTTP, other settings at their defaults.
	 * @param host the agent's host
	 * @param port the agent's HTTP port
	 * @return the connection settings
	 * @throws IllegalArgumentException if the host or port is invalid
	 */
	public static ConsulConnection of(String host, int port) {
		return builder().host(host).port(port).build();
	}

	/** The agent's base URI, {@code <scheme>://<host>:<port>/}; holds no credentials. */
	public URI agent() {
		return this.agent;
	}

	/** TLS settings for {@code https}, or {@code null} for the JVM's default trust. */
	public @Nullable SSLContext sslContext() {
		return this.sslContext;
	}

	/** The ACL token, or {@code null}. Never log it. */
	public @Nullable String token() {
		return this.token;
	}

	/** Time allowed for an agent's answer (and for connecting), added to the wait of blocking reads. */
	public Duration requestTimeout() {
		return this.requestTimeout;
	}

	@Override
	public String toString() {
		return "ConsulConnection[agent=" + this.agent + ", aclToken=" + ((this.token != null) ? "(set)" : "(none)")
				+ "]";
	}

	/**
	 * Builder for {@link ConsulConnection}. Setters check their argument at once and throw
	 * {@link IllegalArgumentException} naming the setting, the value and what is expected; {@link #build()}
	 * checks the settings together. Not thread-safe.
	 */
	public static final class Builder {

		private String host = "localhost";

		private int port = 8500;

		private String scheme = "http";

		private @Nullable SSLContext sslContext;

		private @Nullable String token;

		private Duration requestTimeout = Duration.ofSeconds(10);

		private Builder() {
		}

		/** Agent host name or IP address; default {@code localhost}. */
		public Builder host(String host) {
			Objects.requireNonNull(host, "host");
			if (host.isBlank()) {
				throw new IllegalArgumentException("host: '" + host + "' (expected: a host name or IP address)");
			}
			this.host = host.strip();
			return this;
		}

		/** Agent HTTP(S) port, 1 to 65535; default {@code 8500}. */
		public Builder port(int port) {
			if (port < 1 || port > 65535) {
				throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
			}
			this.port = port;
			return this;
		}

		/**
		 * {@code http} or {@code https}; default {@code http}. With {@code https} and no {@link #sslContext}
		 * or {@link #trustStore}, the JVM's default trust applies.
		 */
		public Builder scheme(String scheme) {
			Objects.requireNonNull(scheme, "scheme");
			String normalized = scheme.strip().toLowerCase(Locale.ROOT);
			if (!normalized.equals("http") && !normalized.equals("https")) {
				throw new IllegalArgumentException("scheme: '" + scheme + "' (expected: http or https)");
			}
			this.scheme = normalized;
			return this;
		}

		/** TLS settings for the agent connection; implies {@code https}. Default: none (plain HTTP). */
		public Builder sslContext(SSLContext sslContext) {
			this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
			this.scheme = "https";
			return this;
		}

		/**
		 * Trusts the certificates of a key store (for example the agent's CA) for the agent connection;
		 * implies {@code https}.
		 * @throws IllegalArgumentException if no TLS context can be built from it
		 */
		public Builder trustStore(KeyStore trustStore) {
			Objects.requireNonNull(trustStore, "trustStore");
			return sslContext(trusting(trustStore));
		}

		/**
		 * ACL token, sent as the {@code X-Consul-Token} header of every request; default none. Never logged
		 * or shown.
		 * @throws IllegalArgumentException if blank
		 */
		public Builder token(String token) {
			Objects.requireNonNull(token, "token");
			if (token.isBlank()) {
				throw new IllegalArgumentException("token: blank (expected: an ACL token)");
			}
			this.token = token;
			return this;
		}

		/**
		 * Time allowed for an agent's answer (and for connecting), added to the wait of blocking reads;
		 * default 10s.
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder requestTimeout(Duration requestTimeout) {
			Objects.requireNonNull(requestTimeout, "requestTimeout");
			if (requestTimeout.isZero() || requestTimeout.isNegative()) {
				throw new IllegalArgumentException("requestTimeout: " + requestTimeout + " (expected: > 0)");
			}
			this.requestTimeout = requestTimeout;
			return this;
		}

		/**
		 * The connection settings.
		 * @throws IllegalArgumentException if an SSLContext or trust store comes with {@code http}, or the host
		 * is not a valid host name or address
		 */
		public ConsulConnection build() {
			if (this.sslContext != null && !this.scheme.equals("https")) {
				throw new IllegalArgumentException("scheme: '" + this.scheme
						+ "' (expected: https when an SSLContext or trust store is set)");
			}
			return new ConsulConnection(this, agentUri(this.scheme, this.host, this.port));
		}

		private static URI agentUri(String scheme, String host, int port) {
			URI agent;
			try {
				agent = new URI(scheme, null, host, port, "/", null, null);
			}
			catch (URISyntaxException ex) {
				throw new IllegalArgumentException("host: '" + host + "' (expected: a host name or IP address)", ex);
			}
			if (agent.getHost() == null) {
				throw new IllegalArgumentException("host: '" + host + "' (expected: a host name or IP address)");
			}
			return agent;
		}

		private static SSLContext trusting(KeyStore trustStore) {
			try {
				TrustManagerFactory factory = TrustManagerFactory
					.getInstance(TrustManagerFactory.getDefaultAlgorithm());
				factory.init(trustStore);
				SSLContext context = SSLContext.getInstance("TLS");
				context.init(null, factory.getTrustManagers(), null);
				return context;
			}
			catch (GeneralSecurityException ex) {
				throw new IllegalArgumentException("trustStore: " + trustStore.getType()
						+ " key store (expected: one a TLS trust manager can use: " + ex.getMessage() + ")", ex);
			}
		}

	}

}
