package dev.grpcscale.discovery.consul;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import dev.grpcscale.consul.internal.ConsulDurations;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * The service definition the registry sends to {@code PUT /v1/agent/service/register} for an instance: its
 * id, name, address, port, the configured tags, its metadata as {@code Meta}, and one check, a gRPC check the
 * agent runs or a TTL check the registry passes, either with {@code DeregisterCriticalServiceAfter}. Also
 * holds Consul's {@code Meta} rules, checked before anything is sent. Immutable.
 */
final class ConsulServiceDefinition {

	/** Consul's rule for {@code Meta} keys (agent/structs: {@code ^[a-zA-Z0-9_-]+$}). */
	private static final Pattern META_KEY = Pattern.compile("[A-Za-z0-9_-]+");

	private static final String META_RESERVED_PREFIX = "consul-";

	private static final int META_MAX_PAIRS = 64;

	private static final int META_KEY_MAX_LENGTH = 128;

	private static final int META_VALUE_MAX_LENGTH = 512;

	private final ObjectMapper mapper;

	private final ConsulCheckType checkType;

	private final boolean grpcUseTls;

	private final Duration checkInterval;

	private final Duration deregisterCriticalAfter;

	private final List<String> tags;

	ConsulServiceDefinition(ObjectMapper mapper, ConsulCheckType checkType, boolean grpcUseTls,
			Duration checkInterval, Duration deregisterCriticalAfter, List<String> tags) {
		this.mapper = mapper;
		this.checkType = checkType;
		this.grpcUseTls = grpcUseTls;
		this.checkInterval = checkInterval;
		this.deregisterCriticalAfter = deregisterCriticalAfter;
		this.tags = List.copyOf(tags);
	}

	ConsulCheckType checkType() {
		return this.checkType;
	}

	/** The registration body of an instance, as Consul's agent API documents it. */
	ObjectNode body(ServiceInstance instance) {
		ObjectNode root = this.mapper.createObjectNode();
		root.put("ID", instance.instanceId());
		root.put("Name", instance.serviceName());
		root.put("Address", instance.host());
		root.put("Port", instance.port());
		ArrayNode tagsNode = root.putArray("Tags");
		this.tags.forEach(tagsNode::add);
		ObjectNode meta = root.putObject("Meta");
		new TreeMap<>(instance.metadata()).forEach(meta::put);
		ObjectNode check = root.putObject("Check");
		check.put("CheckID", checkId(instance));
		if (this.checkType == ConsulCheckType.GRPC) {
			check.put("Name", "gRPC health of " + instance.address());
			check.put("GRPC", instance.address());
			check.put("GRPCUseTLS", this.grpcUseTls);
			check.put("Interval", ConsulDurations.format(this.checkInterval));
		}
		else {
			check.put("Name", "TTL of " + instance.serviceName() + "/" + instance.instanceId());
			check.put("TTL", ConsulDurations.format(this.checkInterval));
		}
		check.put("DeregisterCriticalServiceAfter", ConsulDurations.format(this.deregisterCriticalAfter));
		return root;
	}

	/** The id of the check registered with an instance. */
	static String checkId(ServiceInstance instance) {
		return "service:" + instance.instanceId();
	}

	/** {@code 'service/instanceId'}, for messages. */
	static String describe(ServiceInstance instance) {
		return "'" + instance.serviceName() + "/" + instance.instanceId() + "'";
	}

	/**
	 * Checks metadata against Consul's {@code Meta} rules.
	 * @throws IllegalArgumentException naming the entry that breaks them
	 */
	static void checkMetadata(Map<String, String> metadata) {
		if (metadata.size() > META_MAX_PAIRS) {
			throw new IllegalArgumentException("metadata: " + metadata.size() + " entries (expected: at most "
					+ META_MAX_PAIRS + " for Consul Meta)");
		}
		for (Map.Entry<String, String> entry : new TreeMap<>(metadata).entrySet()) {
			String key = entry.getKey();
			if (!META_KEY.matcher(key).matches() || key.length() > META_KEY_MAX_LENGTH
					|| key.startsWith(META_RESERVED_PREFIX)) {
				throw new IllegalArgumentException("metadata key: '" + key + "' (expected: 1 to "
						+ META_KEY_MAX_LENGTH + " ASCII letters, digits, '_' or '-', not starting with '"
						+ META_RESERVED_PREFIX + "', as Consul Meta requires)");
			}
			int valueLength = entry.getValue().getBytes(StandardCharsets.UTF_8).length;
			if (valueLength > META_VALUE_MAX_LENGTH) {
				throw new IllegalArgumentException("metadata value of '" + key + "': " + valueLength
						+ " bytes (expected: at most " + META_VALUE_MAX_LENGTH + " for Consul Meta)");
			}
		}
	}

}
