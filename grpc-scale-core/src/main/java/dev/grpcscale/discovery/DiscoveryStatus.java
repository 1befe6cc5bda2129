package dev.grpcscale.discovery;

import java.util.Map;
import java.util.Objects;

/**
 * The state of a discovery backend.
 *
 * @param provider backend name: {@code memory}, {@code etcd}, {@code consul}
 * @param reachable whether the backend answered its last request or watch
 * @param details backend specific facts safe to show (never credentials)
 */
public record DiscoveryStatus(String provider, boolean reachable, Map<String, Object> details) {

	/** Copies the details. */
	public DiscoveryStatus {
		Objects.requireNonNull(provider, "provider");
		details = Map.copyOf(details);
	}

}
