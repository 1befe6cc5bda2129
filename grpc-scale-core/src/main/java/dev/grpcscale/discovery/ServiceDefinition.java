package dev.grpcscale.discovery;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

/**
 * What an application asks to register: a service name, the address clients should dial and metadata.
 * The instance id defaults to a random UUID. Build one with {@link #builder(String)} or
 * {@link #of(String, String, int)}.
 *
 * @param name logical service name
 * @param instanceId id unique within the service
 * @param host host name or IP address clients dial
 * @param port port clients dial, 1 to 65535
 * @param metadata free-form metadata
 */
public record ServiceDefinition(String name, String instanceId, String host, int port,
		Map<String, String> metadata) {

	/**
	 * Validates and copies the arguments.
	 * @throws IllegalArgumentException if a field is invalid, with the field, its value and what is
	 * expected
	 */
	public ServiceDefinition {
		ServiceInstance.checkName("name", name);
		ServiceInstance.checkName("instanceId", instanceId);
		Objects.requireNonNull(host, "host");
		if (host.isBlank()) {
			throw new IllegalArgumentException("host: '' (expected: a host name or IP address)");
		}
		if (port < 1 || port > 65535) {
			throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
		}
		metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata"));
	}

	/** A definition with a random instance id and no metadata. */
	public static ServiceDefinition of(String name, String host, int port) {
		return builder(name).host(host).port(port).build();
	}

	/** Starts a builder for the named service. */
	public static Builder builder(String name) {
		return new Builder(name);
	}

	/** The instance this definition describes, {@link InstanceStatus#UP}, registered at {@code now}. */
	public ServiceInstance toInstance(Instant now) {
		return new ServiceInstance(name, instanceId, host, port, metadata, InstanceStatus.UP, now);
	}

	/** Builder for {@link ServiceDefinition}. */
	public static final class Builder {

		private final String name;

		private @Nullable String instanceId;

		private String host = "127.0.0.1";

		private int port;

		private final Map<String, String> metadata = new LinkedHashMap<>();

		private Builder(String name) {
			ServiceInstance.checkName("name", name);
			this.name = name;
		}

		/** Instance id; default a random UUID. */
		public Builder instanceId(String instanceId) {
			ServiceInstance.checkName("instanceId", instanceId);
			this.instanceId = instanceId;
			return this;
		}

		/** Host clients dial; default {@code 127.0.0.1}. */
		public Builder host(String host) {
			Objects.requireNonNull(host, "host");
			this.host = host;
			return this;
		}

		/** Port clients dial, 1 to 65535; required. */
		public Builder port(int port) {
			if (port < 1 || port > 65535) {
				throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
			}
			this.port = port;
			return this;
		}

		/** Adds one metadata entry. */
		public Builder metadata(String key, String value) {
			this.metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
			return this;
		}

		/** Adds all the given metadata entries. */
		public Builder metadata(Map<String, String> metadata) {
			metadata.forEach(this::metadata);
			return this;
		}

		/**
		 * Builds the definition.
		 * @throws IllegalArgumentException if no port was set
		 */
		public ServiceDefinition build() {
			if (port == 0) {
				throw new IllegalArgumentException("port: not set (expected: 1..65535)");
			}
			String id = (instanceId != null) ? instanceId : UUID.randomUUID().toString();
			return new ServiceDefinition(name, id, host, port, metadata);
		}

	}

}
