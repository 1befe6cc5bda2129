package dev.grpcscale.test.consul;

import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;

class SessionsTests {

	private final ObjectMapper mapper = new ObjectMapper();

	private final BlockingQueries queries = new BlockingQueries();

	private final KeyValueStore kv = new KeyValueStore(this.mapper, this.queries);

	private final Sessions sessions = new Sessions(this.mapper, this.queries, this.kv);

	@Test
	void ttlOutsideConsulsBoundsIsRejectedAsConsulDoes() {
		assertThat(this.sessions.create("{\"TTL\":\"9s\"}").status()).isEqualTo(500);
		assertThat(this.sessions.create("{\"TTL\":\"1441m\"}").body()).startsWith("Invalid Session TTL '86460000000000'");
		assertThat(this.sessions.create("{\"TTL\":\"10s\"}").status()).isEqualTo(200);
		assertThat(this.sessions.ids()).hasSize(1);
	}

	@Test
	void behaviorOtherThanReleaseOrDeleteIsRejected() {
		assertThat(this.sessions.create("{\"Behavior\":\"keep\"}"))
			.isEqualTo(Reply.of(500, "Invalid Behavior setting 'keep'"));
		assertThat(this.sessions.ids()).isEmpty();
	}

	@Test
	void renewalAnswersTheSessionUntilItIsInvalidated() {
		String id = create("{\"TTL\":\"15s\"}");
		assertThat(this.sessions.renew(id).body()).isEqualTo("[{\"ID\":\"" + id + "\",\"TTL\":\"15s\"}]");
		this.sessions.invalidate(id);
		assertThat(this.sessions.renew(id)).isEqualTo(Reply.of(404, "Session id '" + id + "' not found"));
		assertThat(this.sessions.isLive(id)).isFalse();
	}

	@Test
	void failingRenewalsLeaveTheSessionAlive() {
		String id = create("{}");
		this.sessions.failRenewals(id, true);
		assertThat(this.sessions.renew(id).status()).isEqualTo(500);
		assertThat(this.sessions.isLive(id)).isTrue();
		this.sessions.failRenewals(id, false);
		assertThat(this.sessions.renew(id).status()).isEqualTo(200);
	}

	@Test
	void destroyedSessionReleasesItsKeyByDefaultAndDeletesItWithDeleteBehavior() {
		String releasing = create("{\"LockDelay\":\"0s\"}");
		String deleting = create("{\"Behavior\":\"delete\",\"LockDelay\":\"0s\"}");
		this.kv.put("a", "1", Map.of("acquire", releasing), this.sessions::isLive);
		this.kv.put("b", "2", Map.of("acquire", deleting), this.sessions::isLive);
		assertThat(this.sessions.destroy(releasing)).isEqualTo(Reply.ok("true"));
		this.sessions.destroy(deleting);
		assertThat(this.kv.entry("a").session()).isEmpty();
		assertThat(this.kv.entry("b")).isNull();
		assertThat(this.sessions.ids()).isEmpty();
	}

	@Test
	void sessionsKeepTheirCreationRequestInCreationOrder() {
		String first = create("{\"Name\":\"first\"}");
		String second = create("{\"Name\":\"second\"}");
		assertThat(this.sessions.ids()).containsExactly(first, second);
		assertThat(this.sessions.request(second).path("Name").asString()).isEqualTo("second");
		assertThat(this.sessions.request("unknown")).isNull();
	}

	private String create(String body) {
		Reply reply = this.sessions.create(body);
		assertThat(reply.status()).isEqualTo(200);
		return this.mapper.readTree(reply.body()).path("ID").asString();
	}

}
