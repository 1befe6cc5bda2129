package dev.grpcscale.docs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code .ci/run}, the entry point CI calls on a clean clone, run as CI runs it: a copy of it in a directory of its
 * own, with {@code etcd}, {@code java}, {@code apt-get} and {@code ./mvnw} replaced by stubs, so that what is checked is the script
 * itself up to the README's test command.
 */
class CiScriptTests {

	/** More than a pipe holds (64 KiB on Linux): a reader that stops early makes the writer's next write fail. */
	private static final int LINES = 20_000;

	@Test
	void reachesTheBuildWhenEtcdAndJavaPrintMoreThanTheLineItShows(@TempDir Path dir) throws Exception {
		Path script = dir.resolve(".ci/run");
		Files.createDirectories(script.getParent());
		Files.copy(MarkdownBlocks.ROOT.resolve(".ci/run"), script);
		Path bin = Files.createDirectories(dir.resolve("bin"));
		executable(bin.resolve("etcd"), "echo 'etcd Version: 3.4.23'; seq " + LINES);
		executable(bin.resolve("java"), "{ echo 'openjdk version \"17\"'; seq " + LINES + "; } >&2");
		executable(bin.resolve("apt-get"), "echo \"apt-get $*\"");
		executable(dir.resolve("mvnw"), "echo \"mvnw $*\"");

		ProcessBuilder builder = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
		builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
		builder.environment().put("CI", "true");
		Process run = builder.start();
		String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();

		assertThat(run.exitValue()).as("exit code of .ci/run, which printed:%n%s", output).isZero();
		assertThat(output).contains("etcd Version: 3.4.23", "openjdk version \"17\"", "mvnw -B -ntp verify")
			.doesNotContain(String.valueOf(LINES));
	}

	private static void executable(Path path, String body) throws IOException {
		Files.writeString(path, "#!/usr/bin/env bash\n" + body + "\n");
		Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
	}

}
