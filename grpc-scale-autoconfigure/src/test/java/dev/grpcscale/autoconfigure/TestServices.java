package dev.grpcscale.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.grpc.BindableService;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Applications for end-to-end tests: a gRPC server answering with its own name, started as real Spring
 * Boot applications over Netty on 127.0.0.1.
 */
public final class TestServices {

	private TestServices() {
	}

	/** Starts an application serving SimpleService that answers with {@code name}. */
	public static ConfigurableApplicationContext startServer(String serviceName, String name, String namespace,
			String... extraProperties) {
		List<String> properties = new ArrayList<>(List.of("spring.application.name=" + serviceName,
				"spring.grpc.server.port=0", "spring.grpc.server.address=127.0.0.1",
				"grpc.scale.service-discovery.memory.namespace=" + namespace, "test.server-name=" + name,
				"management.otlp.metrics.export.enabled=false", "spring.main.web-application-type=none"));
		properties.addAll(List.of(extraProperties));
		return new SpringApplicationBuilder(ServerApplication.class).properties(properties.toArray(String[]::new))
			.run();
	}

	/** Starts a client-only application (no gRPC server) in a namespace. */
	public static ConfigurableApplicationContext startClient(String namespace, String... extraProperties) {
		List<String> properties = new ArrayList<>(List.of("spring.application.name=client",
				"spring.grpc.server.enabled=false", "grpc.scale.service-discovery.memory.namespace=" + namespace,
				"management.otlp.metrics.export.enabled=false", "spring.main.web-application-type=none"));
		properties.addAll(List.of(extraProperties));
		return new SpringApplicationBuilder(ClientApplication.class).properties(properties.toArray(String[]::new))
			.run();
	}

	/** Names of servers that answer UNAVAILABLE while listed. */
	public static final java.util.Set<String> FAILING = java.util.concurrent.ConcurrentHashMap.newKeySet();

	/**
	 * The distinct answers (server names) of {@code count} calls, each with a 5 s deadline.
	 * @param stub the stub to call with
	 * @param count how many calls
	 * @return the names that answered
	 */
	public static java.util.Set<String> answers(SimpleServiceGrpc.SimpleServiceBlockingStub stub, int count) {
		java.util.Set<String> answers = new java.util.HashSet<>();
		for (int i = 0; i < count; i++) {
			answers.add(stub.withDeadlineAfter(java.time.Duration.ofSeconds(5))
				.unaryRpc(SimpleRequest.getDefaultInstance())
				.getResponseMessage());
		}
		return answers;
	}

	public static String uniqueNamespace() {
		return "test-" + UUID.randomUUID();
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class ServerApplication {

		@Bean
		BindableService simpleService(org.springframework.core.env.Environment environment) {
			String name = environment.getProperty("test.server-name", "server");
			return new SimpleServiceGrpc.SimpleServiceImplBase() {
				@Override
				public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responseObserver) {
					if (FAILING.contains(name)) {
						responseObserver.onError(io.grpc.Status.UNAVAILABLE.withDescription(name + " is failing")
							.asRuntimeException());
						return;
					}
					responseObserver.onNext(SimpleResponse.newBuilder().setResponseMessage(name).build());
					responseObserver.onCompleted();
				}
			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class ClientApplication {

	}

}
