package dev.grpcscale.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.springframework.util.ClassUtils;
import org.springframework.util.unit.DataSize;

/**
 * Checks how the backends' clients are set up, for discovery and the cluster alike: the etcd connection
 * (endpoints, namespace, credentials, message size, TLS files or SSL bundle), the Consul connection (host,
 * port, token, request timeout, TLS trust store or SSL bundle) and the libraries a provider needs on the
 * classpath. Reports to the shared {@link PropertyProblems}; part of {@link GrpcScalePropertiesValidator}.
 */
final class BackendClientPropertiesChecker {

	private static final String JSON = "tools.jackson.databind.json.JsonMapper";

	/** The libraries a backend needs beyond the starter: class name to dependency. */
	private static final Map<String, Map<String, String>> BACKEND_CLASSES = Map.of("etcd",
			Map.of("io.etcd.jetcd.Client", "io.etcd:jetcd-core", JSON, "tools.jackson.core:jackson-databind"),
			"consul", Map.of(JSON, "tools.jackson.core:jackson-databind"), "raft",
			Map.of("org.apache.ratis.server.RaftServer", "org.apache.ratis:ratis-server",
					"org.apache.ratis.grpc.GrpcFactory", "org.apache.ratis:ratis-grpc",
					"org.apache.ratis.metrics.impl.MetricRegistriesImpl", "org.apache.ratis:ratis-metrics-default"),
			"kubernetes", Map.of("io.fabric8.kubernetes.client.KubernetesClientBuilder", "io.fabric8:kubernetes-client"));

	/** What fabric8 loads its HTTP client implementation from (jdk, okhttp, vert.x). */
	private static final String KUBERNETES_HTTP_CLIENTS = "META-INF/services/io.fabric8.kubernetes.client.http.HttpClient$Factory";

	private static final Pattern ETCD_NAMESPACE = Pattern.compile("(/[A-Za-z0-9._-]+)+");

	private final PropertyProblems problems;

	private final ClassLoader classLoader;

	/**
	 * A checker reporting to the given problems.
	 * @param problems where every invalid value is reported
	 * @param classLoader where optional backend clients are looked for
	 */
	BackendClientPropertiesChecker(PropertyProblems problems, ClassLoader classLoader) {
		this.problems = problems;
		this.classLoader = classLoader;
	}

	/**
	 * Checks that the libraries of a provider are on the classpath.
	 * @param key the provider's key
	 * @param provider the provider, lower-case
	 */
	void requireClasses(String key, String provider) {
		BACKEND_CLASSES.getOrDefault(provider, Map.of()).forEach((className, dependency) -> {
			if (!ClassUtils.isPresent(className, this.classLoader)) {
				this.problems.add(key, provider, dependency + " on the classpath (add the dependency) for provider '"
						+ provider + "'");
			}
		});
		if ("kubernetes".equals(provider) && this.classLoader.getResource(KUBERNETES_HTTP_CLIENTS) == null) {
			this.problems.add(key, provider, "a fabric8 HTTP client on the classpath for provider 'kubernetes', "
					+ "for example io.fabric8:kubernetes-httpclient-jdk");
		}
	}

	/**
	 * Checks a complete etcd connection, as discovery's is.
	 * @param prefix the connection's keys' prefix, ending with '.'
	 */
	void etcdConnection(String prefix, GrpcScaleDiscoveryProperties.EtcdConnection etcd) {
		List<String> endpoints = etcd.getEndpoints();
		if (endpoints.isEmpty()) {
			this.problems.add(prefix + "endpoints", "[]",
					"at least one etcd client URL, http://host:port or https://host:port");
		}
		Set<String> schemes = etcdEndpoints(prefix, endpoints);
		if (schemes.size() > 1) {
			this.problems.add(prefix + "endpoints", endpoints, "all http:// or all https://");
		}
		etcdNamespace(prefix, etcd);
		this.problems.notBlankWhenSet(prefix + "username", etcd.getUsername(), "not blank");
		if (etcd.getPassword() != null && etcd.getPassword().isEmpty()) {
			this.problems.add(prefix + "password", "(empty)", "not empty");
		}
		maxInboundMessageSize(prefix, etcd);
		GrpcScaleDiscoveryProperties.EtcdConnection.Tls tls = etcd.getTls();
		if ((tls.getCertFile() == null) != (tls.getKeyFile() == null)) {
			String missing = (tls.getCertFile() == null) ? "tls.cert-file" : "tls.key-file";
			this.problems.add(prefix + missing, "", "tls.cert-file and tls.key-file set together");
		}
		tlsFiles(prefix, tls);
		if (tls.getBundle() != null) {
			this.problems.notBlank(prefix + "tls.bundle", tls.getBundle(), "the name of a spring.ssl.bundle");
			if (tls.getCaFile() != null || tls.getCertFile() != null) {
				this.problems.add(prefix + "tls.bundle", tls.getBundle(),
						"either an SSL bundle or tls.ca-file / tls.cert-file / tls.key-file, not both");
			}
			if (schemes.contains("http")) {
				this.problems.add(prefix + "endpoints", endpoints, "https:// endpoints with tls.bundle");
			}
		}
	}

	/**
	 * Checks the keys of an etcd connection that takes each key it does not set from another (the
	 * cluster's from discovery's): those inherited are checked under their own keys.
	 * @param prefix the connection's keys' prefix, ending with '.'
	 */
	void inheritingEtcdConnection(String prefix, GrpcScaleDiscoveryProperties.EtcdConnection etcd) {
		etcdEndpoints(prefix, etcd.getEndpoints());
		etcdNamespace(prefix, etcd);
		maxInboundMessageSize(prefix, etcd);
		tlsFiles(prefix, etcd.getTls());
	}

	/** Checks each endpoint, returning the schemes of the valid ones. */
	private Set<String> etcdEndpoints(String prefix, List<String> endpoints) {
		Set<String> schemes = new HashSet<>();
		for (int i = 0; i < endpoints.size(); i++) {
			String scheme = etcdEndpointScheme(endpoints.get(i));
			if (scheme == null) {
				this.problems.add(prefix + "endpoints" + ((endpoints.size() > 1) ? "[" + i + "]" : ""),
						shownEndpoint(endpoints.get(i)), "http://host:port or https://host:port, no user info or path");
			}
			else {
				schemes.add(scheme);
			}
		}
		return schemes;
	}

	private void etcdNamespace(String prefix, GrpcScaleDiscoveryProperties.EtcdConnection etcd) {
		if (etcd.getNamespace() == null || !ETCD_NAMESPACE.matcher(etcd.getNamespace()).matches()) {
			this.problems.add(prefix + "namespace", etcd.getNamespace(),
					"/segment[/segment...] of letters, digits, '.', '_' or '-', no trailing '/'");
		}
	}

	private void maxInboundMessageSize(String prefix, GrpcScaleDiscoveryProperties.EtcdConnection etcd) {
		DataSize size = etcd.getMaxInboundMessageSize();
		// EtcdClients.MIN_MAX_INBOUND_MESSAGE_SIZE, without loading jetcd's classes
		if (size == null || size.toBytes() < 1024 * 1024 || size.toBytes() > Integer.MAX_VALUE) {
			this.problems.add(prefix + "max-inbound-message-size", size, ">= 1MB and < 2GB");
		}
	}

	private void tlsFiles(String prefix, GrpcScaleDiscoveryProperties.EtcdConnection.Tls tls) {
		readable(prefix + "tls.ca-file", tls.getCaFile());
		readable(prefix + "tls.cert-file", tls.getCertFile());
		readable(prefix + "tls.key-file", tls.getKeyFile());
	}

	private void readable(String key, @Nullable Path file) {
		if (file != null && !Files.isReadable(file)) {
			this.problems.add(key, file, "a readable PEM file");
		}
	}

	private static @Nullable String etcdEndpointScheme(@Nullable String endpoint) {
		URI uri = (endpoint != null) ? PropertyProblems.uri(endpoint.strip()) : null;
		if (uri == null) {
			return null;
		}
		boolean valid = ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
				&& uri.getPort() > 0 && uri.getUserInfo() == null
				&& (uri.getPath() == null || uri.getPath().isEmpty() || "/".equals(uri.getPath()))
				&& uri.getQuery() == null && uri.getFragment() == null;
		return valid ? uri.getScheme() : null;
	}

	/** An endpoint as it may be shown: user info, which may hold a password, masked. */
	private static @Nullable String shownEndpoint(@Nullable String endpoint) {
		if (endpoint == null) {
			return null;
		}
		int at = endpoint.indexOf('@');
		int scheme = endpoint.indexOf("://");
		return (at > 0 && scheme > 0 && scheme < at) ? endpoint.substring(0, scheme + 3) + "***"
				+ endpoint.substring(at) : endpoint;
	}

	/**
	 * Checks a Consul connection.
	 * @param prefix the connection's keys' prefix, ending with '.'
	 */
	void consulConnection(String prefix, GrpcScaleDiscoveryProperties.ConsulConnection consul) {
		this.problems.notBlank(prefix + "host", consul.getHost(), "a host name or IP address");
		if (!PropertyProblems.isPort(consul.getPort())) {
			this.problems.add(prefix + "port", consul.getPort(), "1..65535");
		}
		if (consul.getToken() != null && consul.getToken().isBlank()) {
			// never the token itself, not even a blank one
			this.problems.add(prefix + "token", "blank", "an ACL token");
		}
		this.problems.positive(prefix + "request-timeout", consul.getRequestTimeout());
		GrpcScaleDiscoveryProperties.ConsulConnection.Tls tls = consul.getTls();
		if (tls.getBundle() != null && (tls.getBundle().isBlank() || tls.getTrustStore() != null)) {
			this.problems.add(prefix + "tls.bundle", tls.getBundle(),
					"the name of a spring.ssl.bundle, and no tls.trust-store beside it");
		}
		if (tls.getTrustStore() != null) {
			String type = tls.getTrustStoreType();
			String password = tls.getTrustStorePassword();
			try (InputStream in = Files.newInputStream(tls.getTrustStore())) {
				KeyStore.getInstance(type).load(in, (password != null) ? password.toCharArray() : null);
			}
			catch (IOException | GeneralSecurityException ex) {
				// the exception's message may name the cause (wrong password, bad format), never the password
				this.problems.add(prefix + "tls.trust-store", tls.getTrustStore(), "a readable " + type
						+ " key store opened by tls.trust-store-password: " + ex.getMessage());
			}
		}
	}

}
