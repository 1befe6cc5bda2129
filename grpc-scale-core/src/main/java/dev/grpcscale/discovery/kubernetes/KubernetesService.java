package dev.grpcscale.discovery.kubernetes;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where the instances of a grpc-scale service are found in Kubernetes: the EndpointSlices labelled
 * {@code kubernetes.io/service-name=<name>} in {@code namespace}.
 *
 * @param name the Kubernetes Service's name, a DNS-1035 label such as {@code user-service}
 * @param namespace its namespace, a DNS-1123 label such as {@code shop}
 */
public record KubernetesService(String name, String namespace) {

	private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

	/**
	 * Validates the names.
	 * @throws IllegalArgumentException if a name is not a DNS label
	 */
	public KubernetesService {
		check("name", name);
		check("namespace", namespace);
	}

	/** Whether {@code value} is a DNS label: lower-case letters, digits and '-', at most 63 characters. */
	static boolean isDnsLabel(String value) {
		return LABEL.matcher(value).matches();
	}

	static void check(String what, String value) {
		Objects.requireNonNull(value, what);
		if (!isDnsLabel(value)) {
			throw new IllegalArgumentException(what + ": '" + value
					+ "' (expected: a DNS label: lower-case letters, digits and '-', at most 63 characters)");
		}
	}

	@Override
	public String toString() {
		return this.namespace + "/" + this.name;
	}

}
