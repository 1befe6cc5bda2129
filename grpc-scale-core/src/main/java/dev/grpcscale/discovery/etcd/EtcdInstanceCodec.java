package dev.grpcscale.discovery.etcd;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * Turns a {@link ServiceInstance} into the JSON document stored under its key and back. The document is
 * <pre>{@code
 * {"serviceName":"orders","instanceId":"i-1","host":"10.0.0.7","port":9090,
 *  "metadata":{"zone":"a"},"status":"UP","registrationTime":"2025-01-01T00:00:00Z"}
 * }</pre>
 * Reading is strict: a document that another writer got wrong is rejected with a reason, never guessed at;
 * the host must be a host name or an IP literal (no scheme, port, path or spaces).
 */
final class EtcdInstanceCodec {

	private static final JsonMapper MAPPER = JsonMapper.shared();

	private static final Pattern HOST_NAME = Pattern
		.compile("[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\\.?");

	private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}(%[A-Za-z0-9_.-]+)?");

	private EtcdInstanceCodec() {
	}

	static byte[] encode(ServiceInstance instance) {
		ObjectNode node = MAPPER.createObjectNode();
		node.put("serviceName", instance.serviceName());
		node.put("instanceId", instance.instanceId());
		node.put("host", instance.host());
		node.put("port", instance.port());
		ObjectNode metadata = node.putObject("metadata");
		instance.metadata().entrySet()
			.stream()
			.sorted(Map.Entry.comparingByKey())
			.forEach((entry) -> metadata.put(entry.getKey(), entry.getValue()));
		node.put("status", instance.status().name());
		node.put("registrationTime", instance.registrationTime().toString());
		return MAPPER.writeValueAsBytes(node);
	}

	/**
	 * Reads the document stored under {@code <namespace>/services/<serviceName>/<instanceId>}. The instance
	 * holds the given {@code serviceName} and {@code instanceId} strings (the document's must equal them) and
	 * the metadata map {@code shareMetadata} returns for the decoded one, so that a caller can have instances
	 * share equal values.
	 * @throws IllegalArgumentException with the reason when the document is not a valid instance of that
	 * key
	 */
	static ServiceInstance decode(String serviceName, String instanceId, byte[] json,
			UnaryOperator<Map<String, String>> shareMetadata) {
		JsonNode node;
		try {
			node = MAPPER.readTree(json);
		}
		catch (JacksonException ex) {
			throw new IllegalArgumentException("not JSON (" + ex.getOriginalMessage() + ")");
		}
		if (node == null || !node.isObject()) {
			throw new IllegalArgumentException("not a JSON object");
		}
		String name = requiredString(node, "serviceName");
		String id = requiredString(node, "instanceId");
		if (!name.equals(serviceName) || !id.equals(instanceId)) {
			throw new IllegalArgumentException("serviceName/instanceId '" + name + "/" + id + "' differ from the key's '"
					+ serviceName + "/" + instanceId + "'");
		}
		String host = requiredString(node, "host");
		if (!isHost(host)) {
			throw new IllegalArgumentException("host: '" + host
					+ "' (expected: a host name or an IP literal, without scheme, port, path or spaces)");
		}
		JsonNode port = node.get("port");
		if (port == null || !port.isInt()) {
			throw new IllegalArgumentException("port: " + port + " (expected: an integer 1..65535)");
		}
		Map<String, String> metadata = new LinkedHashMap<>();
		JsonNode metadataNode = node.get("metadata");
		if (metadataNode != null && !metadataNode.isNull()) {
			if (!metadataNode.isObject()) {
				throw new IllegalArgumentException("metadata: " + metadataNode + " (expected: an object of strings)");
			}
			for (Map.Entry<String, JsonNode> entry : metadataNode.properties()) {
				if (!entry.getValue().isString()) {
					throw new IllegalArgumentException(
							"metadata." + entry.getKey() + ": " + entry.getValue() + " (expected: a string)");
				}
				metadata.put(entry.getKey(), entry.getValue().stringValue());
			}
		}
		String statusText = requiredString(node, "status");
		InstanceStatus status;
		try {
			status = InstanceStatus.valueOf(statusText);
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException("status: '" + statusText + "' (expected: UP or DOWN)");
		}
		String timeText = requiredString(node, "registrationTime");
		Instant registrationTime;
		try {
			registrationTime = Instant.parse(timeText);
		}
		catch (DateTimeParseException ex) {
			throw new IllegalArgumentException("registrationTime: '" + timeText + "' (expected: an ISO-8601 instant)");
		}
		// the record validates host and port range and throws IllegalArgumentException with the field
		return new ServiceInstance(serviceName, instanceId, host, port.intValue(),
				shareMetadata.apply(Map.copyOf(metadata)), status, registrationTime);
	}

	/**
	 * Whether {@code host} is a DNS name (labels of letters, digits, {@code -} and {@code _}, at most 253
	 * characters), an IPv4 literal or an IPv6 literal (unbracketed, optionally with a zone).
	 */
	static boolean isHost(String host) {
		if (host.indexOf(':') >= 0) {
			return IPV6.matcher(host).matches();
		}
		return host.length() <= 253 && HOST_NAME.matcher(host).matches();
	}

	private static String requiredString(JsonNode node, String field) {
		JsonNode value = node.get(field);
		if (value == null || !value.isString()) {
			throw new IllegalArgumentException(field + ": " + value + " (expected: a string)");
		}
		return value.stringValue();
	}

}
