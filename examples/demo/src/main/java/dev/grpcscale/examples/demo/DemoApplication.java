package dev.grpcscale.examples.demo;

import java.util.Arrays;

/**
 * Runs the grpc-scale demo story on embedded defaults and exits: {@code 0} when every step behaved as
 * the story says, {@code 1} otherwise. With {@code --keep-running} the services stay up after the story
 * until the process is stopped.
 */
public final class DemoApplication {

	private DemoApplication() {
	}

	public static void main(String[] args) throws Exception {
		boolean keepRunning = Arrays.asList(args).contains("--keep-running");
		int exitCode = new DemoStory(System.out).run(keepRunning);
		System.exit(exitCode);
	}

}
