package dev.grpcscale.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import io.grpc.ManagedChannel;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.client.GrpcChannelFactory;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real applications over Netty on 127.0.0.1 discovering each other through the memory provider.
 */
class DiscoveryEndToEndTests {

	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	private final List<ManagedChannel> channels = new ArrayList<>();

	@AfterEach
	void close() {
		this.channels.forEach(ManagedChannel::shutdownNow);
		this.contexts.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void serverRegistersItselfUnderApplicationNameOnBoundPort() {
		String namespace = TestServices.uniqueNamespace();
		ConfigurableApplicationContext server = start(TestServices.startServer("product-service", "p1", namespace));
		int port = Integer.parseInt(server.getEnvironment().getProperty("local.grpc.server.port"));
		List<ServiceInstance> instances = server.getBean(EnhancedServiceManager.class)
			.discoverServices("product-service");
		assertThat(instances).singleElement().satisfies((instance) -> {
			assertThat(instance.host()).isEqualTo("127.0.0.1");
			assertThat(instance.port()).isEqualTo(port);
		});
	}

	@Test
	void clientCallsRegisteredInstancesRoundRobinThroughDiscoveryTarget() {
		String namespace = TestServices.uniqueNamespace();
		start(TestServices.startServer("product-service", "p1", namespace));
		start(TestServices.startServer("product-service", "p2", namespace));
		ConfigurableApplicationContext client = start(TestServices.startClient(namespace));

		SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(client, "discovery:///product-service");
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(callMany(stub, 10)).containsOnly("p1", "p2")
			.contains("p1", "p2"));
		List<String> answers = callMany(stub, 20);
		assertThat(answers.stream().filter("p1"::equals).count()).isEqualTo(10);
		assertThat(answers.stream().filter("p2"::equals).count()).isEqualTo(10);
	}

	@Test
	void channelFollowsInstancesAddedAndRemovedWithoutPolling() {
		String namespace = TestServices.uniqueNamespace();
		ConfigurableApplicationContext first = start(TestServices.startServer("product-service", "p1", namespace));
		ConfigurableApplicationContext client = start(TestServices.startClient(namespace));
		SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(client, "discovery:///product-service");
		assertThat(new HashSet<>(callMany(stub, 4))).containsExactly("p1");

		List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
		client.getBean(EnhancedServiceManager.class).watchServiceChanges("product-service", seen::add);

		ConfigurableApplicationContext second = start(TestServices.startServer("product-service", "p2", namespace));
		assertThat(seen).last().satisfies((list) -> assertThat(list).hasSize(2));
		await().atMost(Duration.ofSeconds(5)).until(() -> new HashSet<>(callMany(stub, 4)).contains("p2"));

		first.close();
		assertThat(seen).last().satisfies((list) -> assertThat(list).hasSize(1));
		// every call after the removal goes to the remaining instance, none fails
		Set<String> after = new HashSet<>(callMany(stub, 10));
		assertThat(after).containsExactly("p2");
		second.close();
	}

	@Test
	void webApplicationRegistersItsGrpcServerPortNotItsHttpPort() {
		String namespace = TestServices.uniqueNamespace();
		ConfigurableApplicationContext server = start(new org.springframework.boot.builder.SpringApplicationBuilder(
				TestServices.ServerApplication.class)
			.web(org.springframework.boot.WebApplicationType.SERVLET)
			.properties("spring.application.name=product-service", "server.port=0", "server.address=127.0.0.1",
					"spring.grpc.server.port=0", "spring.grpc.server.address=127.0.0.1",
					"grpc.scale.service-discovery.memory.namespace=" + namespace,
					"test.server-name=servlet", "management.otlp.metrics.export.enabled=false")
			.run());
		// the starter brings Netty, so Boot serves gRPC on its own server even in a servlet application
		int grpcPort = Integer.parseInt(server.getEnvironment().getProperty("local.grpc.server.port"));
		assertThat(server.getEnvironment().getProperty("local.server.port")).isNotEqualTo(String.valueOf(grpcPort));
		assertThat(server.getBean(EnhancedServiceManager.class).discoverServices("product-service"))
			.singleElement()
			.satisfies((instance) -> assertThat(instance.address()).isEqualTo("127.0.0.1:" + grpcPort));
		ConfigurableApplicationContext client = start(TestServices.startClient(namespace));
		assertThat(callMany(stub(client, "discovery:///product-service"), 2)).containsOnly("servlet");
	}

	@Test
	void differentNamespacesDoNotSeeEachOther() {
		ConfigurableApplicationContext a = start(
				TestServices.startServer("product-service", "a", TestServices.uniqueNamespace()));
		ConfigurableApplicationContext b = start(TestServices.startClient(TestServices.uniqueNamespace()));
		assertThat(a.getBean(EnhancedServiceManager.class).discoverServices("product-service")).hasSize(1);
		assertThat(b.getBean(EnhancedServiceManager.class).discoverServices("product-service")).isEmpty();
	}

	private ConfigurableApplicationContext start(ConfigurableApplicationContext context) {
		this.contexts.add(context);
		return context;
	}

	private SimpleServiceGrpc.SimpleServiceBlockingStub stub(ConfigurableApplicationContext client, String target) {
		ManagedChannel channel = client.getBean(GrpcChannelFactory.class).createChannel(target);
		this.channels.add(channel);
		return SimpleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(5));
	}

	private static List<String> callMany(SimpleServiceGrpc.SimpleServiceBlockingStub stub, int count) {
		List<String> answers = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			answers.add(stub.withDeadlineAfter(Duration.ofSeconds(5))
				.unaryRpc(SimpleRequest.getDefaultInstance())
				.getResponseMessage());
		}
		return answers;
	}

}
