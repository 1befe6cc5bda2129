package dev.grpcscale.examples.demo;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the demo story as the README's demo command does and checks every step of its output.
 */
class DemoStoryTests {

	@Test
	void everyStepOfTheStoryPasses() throws Exception {
		ByteArrayOutputStream buffer = new ByteArrayOutputStream();
		int exitCode = new DemoStory(new PrintStream(buffer, true, StandardCharsets.UTF_8)).run(false);
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
			.contains("PASS only the leader")
			.contains("[6] The leader shuts down gracefully while calls keep flowing")
			.contains("PASS a new leader was elected with a higher fencing token")
			.contains("PASS no call failed during the graceful shutdown")
			.contains("[7] One call, one trace across user-service and product-service")
			.contains("PASS both services' spans share one trace id")
			.contains("[8] Final status of user-service")
			.contains("every step behaved as described")
			.doesNotContain("FAIL");
		assertThat(exitCode).isZero();
	}

}
