package dev.grpcscale.examples.demo;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.grpcscale.test.etcd.EtcdCluster;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the demo story as the README's demo command does, and as its {@code --etcd} variant does, and
 * checks every step of its output.
 */
class DemoStoryTests {

	@Test
	void everyStepPassesInOneJvmOnMemoryDiscovery() throws Exception {
		assertEveryStepPassed(new InProcessLandscape(), "memory");
	}

	@Test
	void everyStepPassesAsSeparateProcessesOnEtcd() throws Exception {
		try (EtcdCluster etcd = EtcdCluster.startSingle()) {
			// the applications start from this test's class path, as from the demo jar's
			String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
			ProcessLandscape landscape = ProcessLandscape.start(etcd.clientEndpoint(0), ChildJvm.of(classpath));
			assertEveryStepPassed(landscape, "etcd");
		}
	}

	private static void assertEveryStepPassed(Landscape landscape, String provider) throws Exception {
		ByteArrayOutputStream buffer = new ByteArrayOutputStream();
		int exitCode = new DemoStory(new PrintStream(buffer, true, StandardCharsets.UTF_8), landscape).run(false);
		String output = buffer.toString(StandardCharsets.UTF_8);
		assertThat(output).contains("[1] Instances register themselves with discovery")
			.contains("PASS 2 product-service instances registered")
			.contains("[2] user-service calls product-service through discovery:///product-service, round robin")
			.contains("{product-a=20, product-b=20}")
			.contains("[3] A new instance is followed as soon as it registers")
			.contains("PASS product-c receives calls")
			.contains("[4] product-b starts failing: its circuit opens")
			.contains("PASS product-b's instance circuit opened")
			.contains("PASS traffic moved to the other instances, no call failed")
			.contains("PASS product-b rejoined and every circuit is closed")
			.contains("[5] The product-service instances elect a leader; only it refreshes the catalogue")
			.contains("announces its gRPC address 127.0.0.1:")
			.contains("PASS only the leader")
			.contains("[6] The leader shuts down gracefully while calls keep flowing")
			.contains("PASS a new leader was elected with a higher fencing token")
			.contains("PASS no call failed during the graceful shutdown")
			.contains("[7] One call, one trace across user-service and product-service")
			.contains("PASS both services' spans share one trace id")
			.contains("[8] Final status of user-service")
			.contains("discovery: provider=" + provider + " reachable=true")
			.contains("PASS status shows 2 product-service instances")
			.contains("every step behaved as described")
			.doesNotContain("FAIL");
		assertThat(exitCode).as(output).isZero();
	}

}
