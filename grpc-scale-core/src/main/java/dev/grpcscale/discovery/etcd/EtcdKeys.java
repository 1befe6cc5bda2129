package dev.grpcscale.discovery.etcd;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

import io.etcd.jetcd.ByteSequence;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.discovery.ServiceInstance;

/** The key layout: {@code <namespace>/services/<service>/<instanceId>}, and what a namespace may be. */
final class EtcdKeys {

	private static final Pattern NAMESPACE = Pattern.compile("(/[A-Za-z0-9._-]+)+");

	private final String servicesPrefix;

	private final ByteSequence servicesPrefixBytes;

	EtcdKeys(String namespace) {
		this.servicesPrefix = namespace + "/services/";
		this.servicesPrefixBytes = bytes(this.servicesPrefix);
	}

	/** The prefix every instance key starts with, {@code <namespace>/services/}. */
	ByteSequence servicesPrefix() {
		return this.servicesPrefixBytes;
	}

	ByteSequence key(String serviceName, String instanceId) {
		return bytes(this.servicesPrefix + serviceName + "/" + instanceId);
	}

	/**
	 * Splits an instance key into service name and instance id.
	 * @return the two names, or {@code null} when the key does not follow the layout
	 */
	String @Nullable [] parse(String key) {
		if (!key.startsWith(this.servicesPrefix)) {
			return null;
		}
		String rest = key.substring(this.servicesPrefix.length());
		int slash = rest.indexOf('/');
		if (slash <= 0 || slash == rest.length() - 1 || rest.indexOf('/', slash + 1) >= 0) {
			return null;
		}
		String serviceName = rest.substring(0, slash);
		String instanceId = rest.substring(slash + 1);
		try {
			ServiceInstance.checkName("serviceName", serviceName);
			ServiceInstance.checkName("instanceId", instanceId);
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
		return new String[] { serviceName, instanceId };
	}

	/**
	 * Checks a namespace: one or more {@code /segment}s of letters, digits, {@code .}, {@code _} or {@code -}.
	 * @return the namespace
	 * @throws IllegalArgumentException if it is not of that form
	 */
	static String checkNamespace(String namespace) {
		Objects.requireNonNull(namespace, "namespace");
		if (!NAMESPACE.matcher(namespace).matches()) {
			throw new IllegalArgumentException("namespace: '" + namespace
					+ "' (expected: /segment[/segment...] of letters, digits, '.', '_' or '-', no trailing '/')");
		}
		return namespace;
	}

	static ByteSequence bytes(String text) {
		return ByteSequence.from(text, StandardCharsets.UTF_8);
	}

	static String text(ByteSequence bytes) {
		return bytes.toString(StandardCharsets.UTF_8);
	}

}
