package dev.grpcscale.autoconfigure;

import java.net.InetAddress;
import java.net.ServerSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * An application whose discovery backend cannot be reached does not start, and says why: the provider,
 * where it was looked for, the backend's failure and what to do.
 */
@ExtendWith(OutputCaptureExtension.class)
class DiscoveryFailureAnalyzerTests {

	@Test
	void unreachableEtcdAtRegistrationIsReportedWithTheEndpointsAndTheFailure(CapturedOutput output)
			throws Exception {
		int closedPort;
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			closedPort = socket.getLocalPort();
		}
		String endpoint = "http://127.0.0.1:" + closedPort;
		SpringApplication application = new SpringApplication(TestServices.ServerApplication.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		assertThatException().isThrownBy(() -> application.run("--spring.application.name=orders",
				"--spring.grpc.server.port=0", "--spring.grpc.server.address=127.0.0.1",
				"--management.otlp.metrics.export.enabled=false", "--grpc.scale.cluster.enabled=false",
				"--grpc.scale.service-discovery.provider=etcd",
				"--grpc.scale.service-discovery.etcd.endpoints=" + endpoint,
				"--grpc.scale.service-discovery.etcd.request-timeout=1s"));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("A service discovery request failed while the application was starting.")
			.contains("Provider: etcd")
			.contains("grpc.scale.service-discovery.etcd.endpoints: " + endpoint)
			.contains("Failure: Could not register 'orders/")
			.contains("grpc.scale.service-discovery.provider=memory");
	}

}
