package dev.grpcscale.consul;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.grpcscale.consul.internal.ConsulDurations;

/**
 * The JSON bodies {@link ConsulClient} sends and reads, apart from the transport: a service registration, a
 * session creation request and its answer, and KV entries. Stateless.
 */
final class ConsulPayloads {

	private static final JsonMapper json = JsonMapper.shared();

	private ConsulPayloads() {
	}

	/** A service definition, as sent to {@code PUT /v1/agent/service/register}. */
	static byte[] registration(JsonNode registration) {
		return json.writeValueAsBytes(registration);
	}

	/**
	 * The body of {@code PUT /v1/session/create}: a session bound to no health check, only to its TTL, deleting
	 * its keys when invalidated.
	 */
	static byte[] sessionCreation(String name, Duration ttl, Duration lockDelay) {
		ObjectNode body = json.createObjectNode();
		body.put("Name", name);
		body.put("TTL", ConsulDurations.format(ttl));
		body.put("Behavior", "delete");
		body.put("LockDelay", lockDelay.isZero() ? "0s" : ConsulDurations.format(lockDelay));
		body.putArray("Checks");
		return json.writeValueAsBytes(body);
	}

	/** The {@code ID} of a session creation's answer, {@code ""} when it has none. */
	static String sessionId(byte[] answer) {
		return json.readTree(answer).path("ID").asString("");
	}

	/**
	 * The entries of a KV read's answer: each value decoded from Base64 as UTF-8 text ({@code ""} when null), the
	 * session {@code ""} when none.
	 */
	static List<ConsulClient.KvEntry> kvEntries(byte[] answer) {
		List<ConsulClient.KvEntry> entries = new ArrayList<>();
		for (JsonNode node : json.readTree(answer)) {
			String value = node.path("Value").isNull() ? "" : node.path("Value").asString("");
			entries.add(new ConsulClient.KvEntry(node.path("Key").asString(""),
					new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8),
					node.path("Session").asString(""), node.path("ModifyIndex").asLong(0)));
		}
		return List.copyOf(entries);
	}

}
