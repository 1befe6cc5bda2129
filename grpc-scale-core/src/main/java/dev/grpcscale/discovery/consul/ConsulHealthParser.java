package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * Reads the body of {@code GET /v1/health/service/<name>?passing=true}: an array of
 * {@code {Node, Service, Checks}} entries. Each usable entry becomes an {@link InstanceStatus#UP}
 * instance (the query returns passing instances only); an entry that cannot be used (no ID, a port out
 * of range, no address) is reported as a problem and skipped, never failing the whole response.
 */
final class ConsulHealthParser {

	private final ObjectMapper mapper;

	ConsulHealthParser(ObjectMapper mapper) {
		this.mapper = mapper;
	}

	/**
	 * Parses a response.
	 * @param serviceName the service queried
	 * @param body the response body
	 * @param firstSeen when each instance id was first seen; instances keep that time as their
	 * registration time (Consul does not record one), new ids get {@code now}
	 * @param now the current time
	 * @return the instances sorted by id, and one line per skipped entry
	 * @throws IOException if the body is not a JSON array
	 */
	Parsed parse(String serviceName, byte[] body, Map<String, Instant> firstSeen, Instant now) throws IOException {
		JsonNode root;
		try {
			root = this.mapper.readTree(body);
		}
		catch (JacksonException ex) {
			throw new IOException("not JSON: " + ex.getOriginalMessage(), ex);
		}
		if (root == null || !root.isArray()) {
			throw new IOException("expected a JSON array of health entries, got "
					+ ((root == null) ? "an empty body" : root.getNodeType().toString().toLowerCase()));
		}
		Map<String, ServiceInstance> byId = new HashMap<>();
		List<String> problems = new ArrayList<>();
		int position = 0;
		for (JsonNode entry : root) {
			String problem = null;
			ServiceInstance instance = null;
			try {
				instance = toInstance(serviceName, entry, firstSeen, now);
			}
			catch (IllegalArgumentException ex) {
				problem = ex.getMessage();
			}
			if (instance != null && byId.putIfAbsent(instance.instanceId(), instance) != null) {
				problem = "instance id '" + instance.instanceId() + "' appears twice";
			}
			if (problem != null) {
				problems.add("entry " + position + describe(entry) + ": " + problem);
			}
			position++;
		}
		List<ServiceInstance> instances = new ArrayList<>(byId.values());
		instances.sort(Comparator.comparing(ServiceInstance::instanceId));
		return new Parsed(List.copyOf(instances), List.copyOf(problems));
	}

	private static ServiceInstance toInstance(String serviceName, JsonNode entry, Map<String, Instant> firstSeen,
			Instant now) {
		JsonNode service = entry.path("Service");
		if (!service.isObject()) {
			throw new IllegalArgumentException("no Service object");
		}
		String id = text(service.path("ID"));
		if (id == null) {
			throw new IllegalArgumentException("no Service.ID");
		}
		JsonNode portNode = service.path("Port");
		if (!portNode.canConvertToInt() || !portNode.isIntegralNumber()) {
			throw new IllegalArgumentException("Service.Port: " + portNode + " (expected: 1..65535)");
		}
		int port = portNode.intValue();
		String host = text(service.path("Address"));
		if (host == null) {
			host = text(entry.path("Node").path("Address"));
		}
		if (host == null) {
			throw new IllegalArgumentException("neither Service.Address nor Node.Address is set");
		}
		Map<String, String> metadata = new LinkedHashMap<>();
		JsonNode meta = service.path("Meta");
		if (meta.isObject()) {
			meta.properties().forEach((field) -> {
				if (!field.getValue().isNull()) {
					metadata.put(field.getKey(), field.getValue().asString());
				}
			});
		}
		Instant registered = firstSeen.getOrDefault(id, now);
		return new ServiceInstance(serviceName, id, host, port, metadata, InstanceStatus.UP, registered);
	}

	private static @Nullable String text(JsonNode node) {
		if (!node.isString()) {
			return null;
		}
		String value = node.stringValue().strip();
		return value.isEmpty() ? null : value;
	}

	private static String describe(JsonNode entry) {
		String id = text(entry.path("Service").path("ID"));
		return (id != null) ? " (Service.ID '" + id + "')" : "";
	}

	/**
	 * A parsed response.
	 * @param instances usable instances, sorted by id
	 * @param problems one line per skipped entry
	 */
	record Parsed(List<ServiceInstance> instances, List<String> problems) {
	}

}
