package dev.grpcscale.test.consul;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The agent's local services and their TTL checks: {@code PUT /v1/agent/service/register},
 * {@code PUT /v1/agent/service/deregister/<id>}, {@code GET /v1/agent/service/<id>} and
 * {@code PUT /v1/agent/check/pass/<checkId>}. After {@link #serveAsPassing()}, every change of a service's
 * instances sets its {@link ServiceHealth} to all of them, passing.
 */
final class AgentServices {

	private final ObjectMapper mapper;

	private final BlockingQueries queries;

	private final ServiceHealth health;

	private final Map<String, JsonNode> services = new ConcurrentHashMap<>();

	private final Set<String> ttlChecks = ConcurrentHashMap.newKeySet();

	private volatile boolean healthFromRegistrations;

	AgentServices(ObjectMapper mapper, BlockingQueries queries, ServiceHealth health) {
		this.mapper = mapper;
		this.queries = queries;
		this.health = health;
	}

	Reply register(String body) {
		JsonNode registration = this.mapper.readTree(body);
		String id = registration.path("ID").asString();
		this.services.put(id, registration);
		JsonNode check = registration.path("Check");
		if (check.has("TTL")) {
			this.ttlChecks.add(check.path("CheckID").asString());
		}
		registrationsChanged(registration.path("Name").asString());
		return Reply.ok("");
	}

	Reply deregister(String id) {
		JsonNode removed = this.services.remove(id);
		if (removed == null) {
			return Reply.of(404, "Unknown service ID");
		}
		this.ttlChecks.remove(removed.path("Check").path("CheckID").asString());
		registrationsChanged(removed.path("Name").asString());
		return Reply.ok("");
	}

	Reply service(String id) {
		JsonNode service = this.services.get(id);
		return (service != null) ? Reply.ok(service.toString()) : Reply.of(404, "unknown service ID");
	}

	Reply passCheck(String checkId) {
		return this.ttlChecks.contains(checkId) ? Reply.ok("")
				: Reply.of(404, "Unknown check ID \"" + checkId + "\"");
	}

	/** The body an instance was registered with, or {@code null}. */
	@Nullable JsonNode registration(String id) {
		return this.services.get(id);
	}

	/** Forgets every service and check, as an agent restarted without its data directory. */
	void forget() {
		this.services.clear();
		this.ttlChecks.clear();
	}

	/** From now on, a registration or deregistration sets its service's health to every instance, passing. */
	void serveAsPassing() {
		this.healthFromRegistrations = true;
	}

	private void registrationsChanged(String service) {
		if (!this.healthFromRegistrations) {
			return;
		}
		// under the monitor, so the last change to be served reads the last registrations
		synchronized (this.queries.monitor()) {
			ArrayNode entries = this.mapper.createArrayNode();
			for (JsonNode registration : this.services.values()) {
				if (registration.path("Name").asString().equals(service)) {
					ObjectNode entry = entries.addObject();
					entry.putObject("Node").put("Node", "fake").put("Address", "127.0.0.1");
					ObjectNode instance = entry.putObject("Service");
					instance.put("ID", registration.path("ID").asString());
					instance.put("Service", service);
					instance.put("Address", registration.path("Address").asString());
					instance.put("Port", registration.path("Port").asInt());
					instance.set("Tags", registration.get("Tags"));
					instance.set("Meta", registration.get("Meta"));
					entry.putArray("Checks");
				}
			}
			this.health.set(service, this.queries.advance(), entries.toString());
		}
	}

}
