package dev.grpcscale.consul;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Direct tests of {@link ConsulPayloads}, the JSON side of {@link ConsulClient}, on bodies as Consul's HTTP API
 * documents them, including the shapes {@code FakeConsulAgent} never answers with.
 */
class ConsulPayloadsTests {

	@Test
	void kvEntriesDecodeBase64ValuesAndTreatANullValueAndNoSessionAsEmpty() {
		String answer = """
				[{"Key": "app/leader", "Value": "eyJub2RlSWQiOiJuMSJ9", "Session": "s-1", "ModifyIndex": 42,
				  "LockIndex": 1, "Flags": 0, "CreateIndex": 40},
				 {"Key": "app/empty", "Value": null, "ModifyIndex": 7}]
				""";

		assertThat(ConsulPayloads.kvEntries(answer.getBytes(StandardCharsets.UTF_8))).containsExactly(
				new ConsulClient.KvEntry("app/leader", "{\"nodeId\":\"n1\"}", "s-1", 42),
				new ConsulClient.KvEntry("app/empty", "", "", 7));
	}

	@Test
	void sessionCreationAsksForADeletingSessionBoundOnlyToItsTtl() {
		JsonNode body = JsonMapper.shared()
			.readTree(ConsulPayloads.sessionCreation("node-1", Duration.ofSeconds(15), Duration.ZERO));

		assertThat(body.path("Name").asString()).isEqualTo("node-1");
		assertThat(body.path("TTL").asString()).isEqualTo("15s");
		assertThat(body.path("Behavior").asString()).isEqualTo("delete");
		assertThat(body.path("LockDelay").asString()).isEqualTo("0s");
		assertThat(body.path("Checks").isArray()).isTrue();
		assertThat(body.path("Checks").isEmpty()).isTrue();
	}

	@Test
	void sessionIdIsEmptyWhenTheAnswerHasNone() {
		assertThat(ConsulPayloads.sessionId("{\"ID\": \"adf4238a-882b-9ddc-4a9d-5b6758e4159e\"}"
			.getBytes(StandardCharsets.UTF_8))).isEqualTo("adf4238a-882b-9ddc-4a9d-5b6758e4159e");
		assertThat(ConsulPayloads.sessionId("{}".getBytes(StandardCharsets.UTF_8))).isEmpty();
	}

}
