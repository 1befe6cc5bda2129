package dev.grpcscale.examples.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.examples.product.app.ProductServiceApplication;
import dev.grpcscale.examples.user.GetUserProfileRequest;
import dev.grpcscale.examples.user.UserProfile;
import dev.grpcscale.examples.user.UserServiceGrpc;
import dev.grpcscale.examples.user.app.UserServiceApplication;
import dev.grpcscale.test.junit.CloseAfterEach;
import dev.grpcscale.test.kubernetes.EndpointSlices;
import dev.grpcscale.test.kubernetes.KubernetesApiServer;

import static dev.grpcscale.test.kubernetes.EndpointSlices.endpoint;
import static dev.grpcscale.test.kubernetes.EndpointSlices.pod;
import static dev.grpcscale.test.kubernetes.EndpointSlices.port;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The examples' {@code kubernetes} profile, as docs/kubernetes.md deploys it, against fabric8's CRUD mock API
 * server (reached through a kubeconfig, as from a developer's machine): product-service registers nothing,
 * user-service calls it once its EndpointSlice lists it ready, and stops seeing it when it turns unready.
 */
class KubernetesProfileTests {

	private static final Duration WAIT = Duration.ofSeconds(30);

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	@Test
	void userServiceCallsProductServiceThroughItsEndpointSlices(@TempDir Path directory) {
		KubernetesApiServer api = this.resources.track(KubernetesApiServer.start());
		EndpointSlices slices = new EndpointSlices(api.client(), "shop");
		String previous = System.setProperty("kubeconfig", api.writeKubeconfig(directory, "shop").toString());
		try {
			AtomicInteger productPort = new AtomicInteger();
			this.resources.track(start(ProductServiceApplication.class, "product-service", "product-1", productPort));
			assertThat(api.client().discovery().v1().endpointSlices().inAnyNamespace().list().getItems()).isEmpty();
			slices.put("product-service", "product-service-a", List.of(port("grpc", productPort.get())), pod("product-1"));

			AtomicInteger userPort = new AtomicInteger();
			ConfigurableApplicationContext user = this.resources
				.track(start(UserServiceApplication.class, "user-service", "user-1", userPort));
			ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", userPort.get()).usePlaintext().build();
			this.resources.track(channel::shutdownNow);
			UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(channel);
			UserProfile profile = await().atMost(WAIT)
				.ignoreExceptionsInstanceOf(StatusRuntimeException.class)
				.until(() -> users.withDeadlineAfter(Duration.ofSeconds(5))
					.getUserProfile(GetUserProfileRequest.newBuilder().setUserId("u-1").build()), (answer) -> true);
			assertThat(profile.getFavoritesList()).hasSize(2);

			slices.put("product-service", "product-service-a", List.of(port("grpc", productPort.get())),
					endpoint("product-1", "127.0.0.1", false, false, false));
			ServiceDiscovery discovery = user.getBean(ServiceDiscovery.class);
			await().atMost(WAIT).until(() -> discovery.getInstances("product-service").isEmpty());
		}
		finally {
			if (previous != null) {
				System.setProperty("kubeconfig", previous);
			}
			else {
				System.clearProperty("kubeconfig");
			}
		}
	}

	/** Starts an example application; {@code port} receives its gRPC server's port. */
	private static ConfigurableApplicationContext start(Class<?> application, String configName, String instanceName,
			AtomicInteger port) {
		return new SpringApplicationBuilder(application).properties("spring.config.name=" + configName)
			.listeners((ApplicationListener<GrpcServerStartedEvent>) (event) -> port.set(event.getPort()))
			.run("--spring.profiles.active=kubernetes", "--example.instance-name=" + instanceName,
					"--spring.grpc.server.port=0", "--spring.grpc.server.address=127.0.0.1",
					"--spring.main.banner-mode=off", "--spring.main.web-application-type=none",
					"--management.otlp.metrics.export.enabled=false");
	}

}
