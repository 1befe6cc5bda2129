package dev.grpcscale.cluster.internal;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.grpcscale.cluster.MemberAnnouncement;

/**
 * Reads the records a backend holds under an election's keys (member announcements, candidacies, the leader
 * key) without trusting them: a value that is not what grpc-scale writes (not JSON, a field missing or of the
 * wrong type, a node id that does not match its key, more than {@link #MAX_VALUE_BYTES}) is skipped with one
 * warning per key and version (per node), never per read, and never makes a read fail. So nothing another writer leaves
 * under the election's keys can switch off leader-loss detection.
 *
 * <p>Thread-safe; one instance per election.
 */
public final class ElectionRecords {

	/** The largest value read; grpc-scale's own records are a few hundred bytes. */
	public static final int MAX_VALUE_BYTES = 16 * 1024;

	private static final JsonMapper json = JsonMapper.shared();

	private final Logger logger;

	private final String election;

	/** Key to the version last warned about. */
	private final Map<String, Long> warned = new ConcurrentHashMap<>();

	/**
	 * Creates a reader.
	 * @param logger where warnings go
	 * @param election the reader as named in warnings, for example {@code node n0 of election 'x/cluster/y/'}
	 */
	public ElectionRecords(Logger logger, String election) {
		this.logger = Objects.requireNonNull(logger, "logger");
		this.election = Objects.requireNonNull(election, "election");
	}

	/**
	 * Reads a member announcement {@code {"nodeId":..,"address":..,"lastHeartbeat":"<ISO-8601 instant>"}}
	 * stored under {@code key}, whose last segment must be the node id.
	 * @param key the key
	 * @param version the key's version (modification revision or index), to warn once per version
	 * @param value the stored bytes
	 * @return the announcement, or {@code null} (after a warning) if the record is not one
	 */
	public @Nullable MemberAnnouncement member(String key, long version, byte[] value) {
		JsonNode node = object(key, version, value);
		if (node == null) {
			return null;
		}
		String nodeId = text(node, "nodeId");
		String address = node.has("address") ? text(node, "address") : "";
		String lastHeartbeat = text(node, "lastHeartbeat");
		if (nodeId == null || nodeId.isBlank() || address == null || lastHeartbeat == null) {
			skip(key, version, "expected string fields nodeId, address and lastHeartbeat, found " + abbreviate(value));
			return null;
		}
		if (!key.endsWith("/" + nodeId)) {
			skip(key, version, "its nodeId '" + abbreviate(nodeId) + "' does not match the key");
			return null;
		}
		try {
			return new MemberAnnouncement(nodeId, address, Instant.parse(lastHeartbeat));
		}
		catch (DateTimeParseException ex) {
			skip(key, version, "lastHeartbeat '" + abbreviate(lastHeartbeat) + "' is not an ISO-8601 instant");
			return null;
		}
	}

	/**
	 * Reads a candidacy or leader record {@code {"nodeId":..,"address":..}} stored under {@code key}.
	 * @param key the key
	 * @param version the key's version (modification revision or index), to warn once per version
	 * @param value the stored bytes
	 * @return the candidate, or {@code null} (after a warning) if the record is not one
	 */
	public @Nullable Candidate candidate(String key, long version, byte[] value) {
		JsonNode node = object(key, version, value);
		if (node == null) {
			return null;
		}
		String nodeId = text(node, "nodeId");
		String address = node.has("address") ? text(node, "address") : "";
		if (nodeId == null || nodeId.isBlank() || address == null) {
			skip(key, version, "expected string fields nodeId and address, found " + abbreviate(value));
			return null;
		}
		return new Candidate(nodeId, address);
	}

	/**
	 * Logs that a record is skipped, once per key and version.
	 * @param key the key
	 * @param version the key's version
	 * @param reason why, ending without a full stop
	 */
	public void skip(String key, long version, String reason) {
		Long previous = this.warned.put(key, version);
		if (previous == null || previous != version) {
			this.logger.warn("{} ignores the record under {}: {}. Only grpc-scale should write under this prefix; "
					+ "remove the key.", this.election, key, reason);
		}
	}

	/**
	 * Forgets the warnings about keys no longer present, so the memory stays bounded and a key that comes
	 * back is reported again.
	 * @param present the keys of the latest read
	 */
	public void retain(Collection<String> present) {
		this.warned.keySet().retainAll(present);
	}

	private @Nullable JsonNode object(String key, long version, byte[] value) {
		if (value.length == 0) {
			skip(key, version, "the value is empty");
			return null;
		}
		if (value.length > MAX_VALUE_BYTES) {
			skip(key, version, "the value has " + value.length + " bytes (expected: <= " + MAX_VALUE_BYTES + ")");
			return null;
		}
		JsonNode node;
		try {
			node = json.readTree(value);
		}
		catch (JacksonException ex) {
			skip(key, version, "the value is not JSON: " + abbreviate(value));
			return null;
		}
		if (node == null || !node.isObject()) {
			skip(key, version, "the value is not a JSON object: " + abbreviate(value));
			return null;
		}
		return node;
	}

	private static @Nullable String text(JsonNode node, String field) {
		JsonNode value = node.get(field);
		return (value != null && value.isString()) ? value.asString() : null;
	}

	private static String abbreviate(byte[] value) {
		return abbreviate(new String(value, 0, Math.min(value.length, 200), java.nio.charset.StandardCharsets.UTF_8));
	}

	private static String abbreviate(String value) {
		String printable = value.replaceAll("\\p{Cntrl}", "?");
		return (printable.length() > 80) ? printable.substring(0, 80) + "..." : printable;
	}

	/**
	 * A candidacy as grpc-scale writes it.
	 *
	 * @param nodeId the candidate's node id
	 * @param address the address it announced, {@code ""} if none
	 */
	public record Candidate(String nodeId, String address) {
	}

}
