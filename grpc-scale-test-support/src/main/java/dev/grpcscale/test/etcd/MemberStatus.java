package dev.grpcscale.test.etcd;

import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * What a member tells of itself in etcd's {@code /v3/maintenance/status} answer: its id and the id of the
 * leader it follows, both as the decimal numbers of etcd's JSON gateway.
 *
 * @param memberId the member's own id
 * @param leaderId the leader's id, or {@code null} when the answer names none (the gateway leaves out a zero)
 */
record MemberStatus(String memberId, @Nullable String leaderId) {

	private static final Pattern MEMBER_ID = Pattern.compile("\"member_id\"\\s*:\\s*\"?(\\d+)");

	private static final Pattern LEADER_ID = Pattern.compile("\"leader\"\\s*:\\s*\"?(\\d+)");

	/**
	 * Reads a status answer.
	 * @param body the answer, or {@code null} when the member did not answer
	 * @return the status, or {@code null} when the body names no member id
	 */
	static @Nullable MemberStatus parse(@Nullable String body) {
		Matcher member = MEMBER_ID.matcher((body != null) ? body : "");
		if (!member.find()) {
			return null;
		}
		Matcher leader = LEADER_ID.matcher(body);
		return new MemberStatus(member.group(1), leader.find() ? leader.group(1) : null);
	}

	/** The member id as etcd writes it in its peer requests and logs: lower-case hex of an unsigned 64-bit id. */
	String memberIdHex() {
		return Long.toHexString(Long.parseUnsignedLong(this.memberId));
	}

	/**
	 * The leader the members name, by index.
	 * @param statuses the statuses of the members that answered, by index
	 * @return the index of the member that the last status naming a leader names, or {@code -1} when none
	 * names a leader or the leader is not among them
	 */
	static int leaderIndex(SortedMap<Integer, MemberStatus> statuses) {
		String leader = null;
		Map<String, Integer> indexes = new HashMap<>();
		for (Map.Entry<Integer, MemberStatus> status : statuses.entrySet()) {
			if (status.getValue().leaderId() != null) {
				indexes.put(status.getValue().memberId(), status.getKey());
				leader = status.getValue().leaderId();
			}
		}
		return (leader != null) ? indexes.getOrDefault(leader, -1) : -1;
	}

}
