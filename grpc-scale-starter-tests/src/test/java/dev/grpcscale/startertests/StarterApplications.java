package dev.grpcscale.startertests;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.grpc.BindableService;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * A user's application as the starter alone makes it: Spring Boot's gRPC server on 127.0.0.1 (a free
 * port) serving SimpleService, which answers with the application's name, and grpc-scale with in-memory
 * discovery shared by the applications of one namespace. Besides that, only the properties a test passes,
 * which for tracing are {@code grpc.scale.tracing.*} keys alone.
 */
final class StarterApplications {

	private StarterApplications() {
	}

	static String uniqueNamespace() {
		return "starter-" + UUID.randomUUID();
	}

	/**
	 * Runs an application named {@code name} in {@code namespace}.
	 * @param name its {@code spring.application.name}, under which it registers
	 * @param namespace the in-memory discovery namespace it shares with the others of a test
	 * @param properties further properties, {@code key=value}
	 * @return the running application
	 */
	static ConfigurableApplicationContext run(String name, String namespace, String... properties) {
		List<String> all = new ArrayList<>(List.of("spring.application.name=" + name, "spring.grpc.server.port=0",
				"spring.grpc.server.address=127.0.0.1", "grpc.scale.service-discovery.memory.namespace=" + namespace,
				"spring.main.web-application-type=none"));
		all.addAll(List.of(properties));
		return new SpringApplicationBuilder(UserApplication.class).properties(all.toArray(String[]::new)).run();
	}

	@SpringBootApplication
	static class UserApplication {

		@Bean
		BindableService simpleService(Environment environment) {
			String name = environment.getRequiredProperty("spring.application.name");
			return new SimpleServiceGrpc.SimpleServiceImplBase() {
				@Override
				public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responseObserver) {
					responseObserver.onNext(SimpleResponse.newBuilder().setResponseMessage(name).build());
					responseObserver.onCompleted();
				}
			};
		}

	}

}
