package dev.grpcscale.test.consul;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;

class AgentServicesTests {

	private static final String ORDERS_1 = "{\"ID\":\"orders-1\",\"Name\":\"orders\",\"Address\":\"10.0.0.1\",\"Port\":9090,"
			+ "\"Tags\":[\"grpc\"],\"Meta\":{\"zone\":\"a\"},\"Check\":{\"CheckID\":\"service:orders-1\",\"TTL\":\"10s\"}}";

	private static final String ORDERS_2 = "{\"ID\":\"orders-2\",\"Name\":\"orders\",\"Address\":\"10.0.0.2\",\"Port\":9091}";

	private final ObjectMapper mapper = new ObjectMapper();

	private final BlockingQueries queries = new BlockingQueries();

	private final ServiceHealth health = new ServiceHealth(this.queries);

	private final AgentServices services = new AgentServices(this.mapper, this.queries, this.health);

	@Test
	void registeredTtlCheckPassesUntilItsServiceIsDeregistered() {
		assertThat(this.services.register(ORDERS_1)).isEqualTo(Reply.ok(""));
		assertThat(this.services.passCheck("service:orders-1")).isEqualTo(Reply.ok(""));
		assertThat(this.services.service("orders-1").body()).contains("\"Port\":9090");
		assertThat(this.services.deregister("orders-1")).isEqualTo(Reply.ok(""));
		assertThat(this.services.passCheck("service:orders-1"))
			.isEqualTo(Reply.of(404, "Unknown check ID \"service:orders-1\""));
		assertThat(this.services.deregister("orders-1")).isEqualTo(Reply.of(404, "Unknown service ID"));
		assertThat(this.services.service("orders-1")).isEqualTo(Reply.of(404, "unknown service ID"));
	}

	@Test
	void forgottenAgentStateKnowsNoServiceOrCheck() {
		this.services.register(ORDERS_1);
		this.services.forget();
		assertThat(this.services.registration("orders-1")).isNull();
		assertThat(this.services.passCheck("service:orders-1").status()).isEqualTo(404);
	}

	@Test
	void registrationsLeaveHealthAloneUntilServedAsPassing() {
		this.services.register(ORDERS_1);
		assertThat(this.health.serve("orders", Map.of())).isEqualTo(new Reply(200, "[]", 1L));
	}

	@Test
	void servedAsPassingEveryRegistrationChangeSetsTheServicesHealthAtANewIndex() {
		this.services.serveAsPassing();
		this.services.register(ORDERS_1);
		this.services.register(ORDERS_2);
		Reply both = this.health.serve("orders", Map.of());
		assertThat(both.index()).isEqualTo(102);
		JsonNode entries = this.mapper.readTree(both.body());
		assertThat(entries).hasSize(2);
		// the agent holds its services in no particular order
		JsonNode first = entries.get(0).path("Service").path("ID").asString().equals("orders-1")
				? entries.get(0).path("Service") : entries.get(1).path("Service");
		assertThat(first.path("ID").asString()).isEqualTo("orders-1");
		assertThat(first.path("Address").asString()).isEqualTo("10.0.0.1");
		assertThat(first.path("Port").asInt()).isEqualTo(9090);
		assertThat(first.path("Tags").get(0).asString()).isEqualTo("grpc");
		assertThat(first.path("Meta").path("zone").asString()).isEqualTo("a");
		this.services.deregister("orders-1");
		Reply one = this.health.serve("orders", Map.of());
		assertThat(one.index()).isEqualTo(103);
		assertThat(this.mapper.readTree(one.body())).hasSize(1);
	}

	@Test
	void healthQueryBlocksUntilTheServicesIndexPassesTheRequestedOne() throws Exception {
		this.health.set("orders", 7, "[]");
		CompletableFuture<Reply> query = BlockedQuery
			.start(() -> this.health.serve("orders", Map.of("index", "7", "wait", "1m")));
		assertThat(query).isNotDone();
		this.health.set("other", 9, "[{}]");
		assertThat(query).as("another service changed").isNotDone();
		this.health.set("orders", 8, "[{}]");
		assertThat(query.get(30, TimeUnit.SECONDS)).isEqualTo(new Reply(200, "[{}]", 8L));
	}

}
