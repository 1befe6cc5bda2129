package dev.grpcscale.discovery.consul;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.slf4j.LoggerFactory;

import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.consul.FakeConsulAgent;

/**
 * What the protocol tests of {@link ConsulServiceRegistry} against {@link FakeConsulAgent} share: a fresh agent per
 * test, the log events of the Consul discovery package (at DEBUG), a registry builder on the agent with short
 * waits and backoffs and a fixed clock, and the health entries as Consul documents them. The tests are grouped
 * by behaviour in its subclasses ({@link ConsulServiceRegistrationTests}, {@link ConsulKeepAliveTests},
 * {@link ConsulBlockingQueryTests}, {@link ConsulWatchTests}, {@link ConsulAgentOutageTests},
 * {@link ConsulHealthParsingTests}, {@link ConsulServiceRegistrySettingsTests}); the real-Consul counterpart is
 * {@link ConsulServiceRegistryContainerTests}.
 */
abstract class ConsulRegistryFakeAgentFixture {

	static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

	final ObjectMapper mapper = new ObjectMapper();

	FakeConsulAgent agent;

	/** Log events of the Consul package; appended from the registry's threads, read by the test. */
	final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();

	private final AppenderBase<ILoggingEvent> logs = new AppenderBase<>() {

		@Override
		protected void append(ILoggingEvent event) {
			event.prepareForDeferredProcessing();
			ConsulRegistryFakeAgentFixture.this.events.add(event);
		}

	};

	private final Logger consulLogger = (Logger) LoggerFactory.getLogger("dev.grpcscale.discovery.consul");

	private Level previousLevel;

	@BeforeEach
	void startAgent() throws IOException {
		this.agent = new FakeConsulAgent();
		this.logs.start();
		this.previousLevel = this.consulLogger.getLevel();
		this.consulLogger.setLevel(Level.DEBUG);
		this.consulLogger.addAppender(this.logs);
	}

	@AfterEach
	void stopAgent() {
		this.consulLogger.detachAppender(this.logs);
		this.consulLogger.setLevel(this.previousLevel);
		this.agent.close();
	}

	ConsulServiceRegistry.Builder consul() {
		return consul(connection());
	}

	ConsulConnection.Builder connection() {
		return ConsulConnection.builder().host("127.0.0.1").port(this.agent.port()).requestTimeout(Duration.ofSeconds(2));
	}

	ConsulServiceRegistry.Builder consul(ConsulConnection.Builder connection) {
		return ConsulServiceRegistry.builder()
			.connection(connection.build())
			.blockingQueryWait(Duration.ofSeconds(1))
			.retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
			.queryRateLimit(Duration.ofMillis(10))
			.clock(Clock.fixed(NOW, ZoneOffset.UTC));
	}

	static ServiceInstance instance(String service, String id, String host, int port,
			Map<String, String> metadata) {
		return new ServiceInstance(service, id, host, port, metadata, InstanceStatus.UP, NOW);
	}

	/** One entry of {@code /v1/health/service/<name>} as Consul documents it. */
	ObjectNode entry(String id, String serviceAddress, int port, String nodeAddress, Map<String, String> meta) {
		ObjectNode entry = this.mapper.createObjectNode();
		ObjectNode node = entry.putObject("Node");
		node.put("ID", "40e4a748-2192-161a-0510-9bf59fe950b5");
		node.put("Node", "agent-one");
		node.put("Address", nodeAddress);
		node.put("Datacenter", "dc1");
		ObjectNode service = entry.putObject("Service");
		service.put("ID", id);
		service.put("Service", "svc");
		service.putArray("Tags").add("grpc");
		service.put("Address", serviceAddress);
		ObjectNode metaNode = service.putObject("Meta");
		meta.forEach(metaNode::put);
		service.put("Port", port);
		ArrayNode checks = entry.putArray("Checks");
		ObjectNode check = checks.addObject();
		check.put("CheckID", "service:" + id);
		check.put("Status", "passing");
		return entry;
	}

	String health(ObjectNode... entries) {
		ArrayNode array = this.mapper.createArrayNode();
		for (ObjectNode entry : entries) {
			array.add(entry);
		}
		return array.toString();
	}

	List<String> messages(Level level) {
		return this.events.stream()
			.filter((event) -> event.getLevel() == level)
			.map(ILoggingEvent::getFormattedMessage)
			.toList();
	}

}
