package dev.grpcscale.examples.demo;

import java.io.IOException;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Runs the grpc-scale demo story and exits: {@code 0} when every step behaved as the story says,
 * {@code 1} otherwise, {@code 2} when it could not run.
 *
 * <ul>
 * <li>no argument: every application in this JVM on embedded defaults (memory discovery), nothing to
 * install;</li>
 * <li>{@code --etcd}: every application a JVM process of its own, on etcd: the endpoints in
 * {@code ETCD_ENDPOINTS}, else an etcd started from the {@code etcd} binary for this run;
 * {@code --etcd=http://host:2379[,...]} names the endpoints;</li>
 * <li>{@code --keep-running}: the services stay up after the story until the process is stopped.</li>
 * </ul>
 */
public final class DemoApplication {

	private DemoApplication() {
	}

	public static void main(String[] args) throws Exception {
		List<String> arguments = List.of(args);
		boolean keepRunning = arguments.contains("--keep-running");
		String etcd = arguments.stream()
			.filter((argument) -> argument.equals("--etcd") || argument.startsWith("--etcd="))
			.findFirst()
			.orElse(null);
		for (String argument : arguments) {
			if (!argument.equals("--keep-running") && !argument.equals(etcd)) {
				System.err.println("Unknown argument '" + argument + "' (expected: --etcd[=http://host:2379], --keep-running)");
				System.exit(2);
			}
		}
		Landscape landscape;
		try {
			landscape = (etcd != null) ? ProcessLandscape.start(etcdEndpoints(etcd),
					ChildJvm.of(System.getProperty("java.class.path"))) : new InProcessLandscape();
		}
		catch (IllegalStateException | IOException ex) {
			System.err.println("The demo cannot run: " + ex.getMessage());
			System.exit(2);
			return;
		}
		try {
			System.exit(new DemoStory(System.out, landscape).run(keepRunning));
		}
		catch (IllegalStateException ex) {
			// an application that would not start or a leader that never came: the story cannot go on
			System.out.println();
			System.out.println("The demo stopped: " + ex.getMessage());
			System.exit(1);
		}
	}

	private static @Nullable String etcdEndpoints(String argument) {
		if (argument.startsWith("--etcd=")) {
			return argument.substring("--etcd=".length());
		}
		String environment = System.getenv("ETCD_ENDPOINTS");
		return (environment != null && !environment.isBlank()) ? environment : null;
	}

}
