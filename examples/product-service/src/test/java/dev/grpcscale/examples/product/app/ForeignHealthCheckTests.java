package dev.grpcscale.examples.product.app;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.server.lifecycle.GrpcServerShutdownEvent;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * A health check made by a client grpc-scale did not write, Python's grpcio (Debian
 * {@code python3-grpcio}), against the product-service example: SERVING while it runs, NOT_SERVING once
 * its shutdown has started and while its server still accepts calls. Without {@code python3-grpcio} the
 * test is skipped, except with {@code CI=true}, where it fails.
 */
class ForeignHealthCheckTests {

	private static final String PYTHON = "/usr/bin/python3";

	@TempDir
	static Path scripts;

	private static Path script;

	@BeforeAll
	static void requirePythonGrpc() throws Exception {
		boolean available = new File(PYTHON).canExecute() && run(PYTHON, "-c", "import grpc").exitCode == 0;
		if (!available) {
			String message = PYTHON + " with grpcio is missing (Debian: apt-get install -y python3-grpcio)";
			if ("true".equalsIgnoreCase(System.getenv("CI"))) {
				throw new IllegalStateException(message + "; CI=true, so this test fails instead of skipping");
			}
			abort(message);
		}
		script = scripts.resolve("health_check.py");
		try (var in = ForeignHealthCheckTests.class.getResourceAsStream("/health_check.py")) {
			Files.copy(in, script);
		}
	}

	@Test
	void pythonGrpcClientSeesServingThenNotServingDuringShutdown() throws Exception {
		AtomicReference<String> duringShutdown = new AtomicReference<>();
		AtomicReference<Integer> port = new AtomicReference<>();
		// runs when Boot is about to stop the server: grpc-scale has already turned health NOT_SERVING
		ApplicationListener<GrpcServerShutdownEvent> probe = (event) -> duringShutdown
			.set(check("127.0.0.1:" + port.get()));
		ConfigurableApplicationContext context = new SpringApplicationBuilder(ProductServiceApplication.class)
			.properties("spring.config.name=" + ProductServiceApplication.CONFIG_NAME)
			.listeners(probe, (ApplicationListener<GrpcServerStartedEvent>) (event) -> port.set(event.getPort()))
			.run("--spring.grpc.server.port=0", "--spring.grpc.server.address=127.0.0.1",
					"--spring.main.web-application-type=none", "--spring.grpc.server.shutdown.grace-period=2s",
					"--grpc.scale.service-discovery.memory.namespace=foreign-health");
		try {
			assertThat(check("127.0.0.1:" + port.get())).isEqualTo("SERVING");
		}
		finally {
			context.close();
		}
		assertThat(duringShutdown.get()).isEqualTo("NOT_SERVING");
	}

	private static String check(String target, String... service) {
		try {
			String[] command = (service.length == 0) ? new String[] { PYTHON, script.toString(), target }
					: new String[] { PYTHON, script.toString(), target, service[0] };
			Result result = run(command);
			return result.output.trim();
		}
		catch (IOException | InterruptedException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static Result run(String... command) throws IOException, InterruptedException {
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		if (!process.waitFor(30, TimeUnit.SECONDS)) {
			process.destroyForcibly();
			throw new IllegalStateException("Timed out: " + String.join(" ", command));
		}
		return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
	}

	private record Result(int exitCode, String output) {
	}

}
