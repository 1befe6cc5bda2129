package dev.grpcscale.autoconfigure.kubernetes;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.health.application.ReadinessStateHealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;

import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.test.junit.CloseAfterEach;
import dev.grpcscale.test.kubernetes.KubernetesApiServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With discovery from EndpointSlices, a readiness probe on Actuator's readiness group follows grpc-scale's
 * {@code NOT_SERVING} before the drain, so Kubernetes takes the pod out of its Service's endpoints.
 */
class GrpcServingReadinessTests {

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	@Test
	void readinessRefusesTrafficWhenTheGrpcServerStopsAndAcceptsItWhenItStartsAgain(@TempDir Path directory) {
		KubernetesApiServer api = this.resources.track(KubernetesApiServer.start());
		String kubeconfig = api.writeKubeconfig(directory, "shop").toString();
		String previous = System.setProperty("kubeconfig", kubeconfig);
		try {
			ConfigurableApplicationContext server = this.resources.track(TestServices.startServer("product-service",
					"p-1", "unused", "grpc.scale.service-discovery.provider=kubernetes",
					"management.endpoint.health.probes.enabled=true"));
			ApplicationAvailability availability = server.getBean(ApplicationAvailability.class);
			ReadinessStateHealthIndicator readiness = server.getBean(ReadinessStateHealthIndicator.class);
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);

			server.stop();
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
			assertThat(readiness.health(false).getStatus()).isEqualTo(Status.OUT_OF_SERVICE);

			server.start();
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
			assertThat(readiness.health(false).getStatus()).isEqualTo(Status.UP);

			server.close();
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
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

}
