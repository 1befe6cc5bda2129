package dev.grpcscale.test.etcd;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class EtcdBinaryTests {

	@TempDir
	Path dir;

	@Test
	void explicitBinaryWinsOverThePath() throws Exception {
		Path explicit = executable(this.dir.resolve("custom-etcd"));
		Path onPath = executable(Files.createDirectory(this.dir.resolve("bin")).resolve("etcd"));
		Map<String, String> env = Map.of("ETCD_BIN", explicit.toString(), "PATH", onPath.getParent().toString());
		assertThat(EtcdBinary.locate(env)).isEqualTo(explicit.toString());
	}

	@Test
	void explicitBinaryThatCannotRunIsMissingEvenWhenThePathHasOne() throws Exception {
		Path onPath = executable(Files.createDirectory(this.dir.resolve("bin")).resolve("etcd"));
		Map<String, String> env = Map.of("ETCD_BIN", this.dir.resolve("absent").toString(), "PATH",
				onPath.getParent().toString());
		assertThat(EtcdBinary.locate(env)).isNull();
	}

	@Test
	void firstExecutableEtcdOnThePathIsFound() throws Exception {
		Path empty = Files.createDirectory(this.dir.resolve("empty"));
		Path notExecutable = Files.createFile(Files.createDirectory(this.dir.resolve("plain")).resolve("etcd"));
		Path first = executable(Files.createDirectory(this.dir.resolve("first")).resolve("etcd"));
		Path second = executable(Files.createDirectory(this.dir.resolve("second")).resolve("etcd"));
		String path = String.join(File.pathSeparator, empty.toString(), notExecutable.getParent().toString(),
				first.getParent().toString(), second.getParent().toString());
		assertThat(EtcdBinary.locate(Map.of("PATH", path))).isEqualTo(first.toString());
	}

	@Test
	void missingBinaryAbortsTheTestOutsideCi() {
		Map<String, String> env = Map.of("PATH", this.dir.toString());
		assertThatExceptionOfType(TestAbortedException.class).isThrownBy(() -> EtcdBinary.find(env))
			.withMessageContaining("ETCD_BIN");
	}

	@Test
	void missingBinaryFailsTheTestInCi() {
		Map<String, String> env = Map.of("PATH", this.dir.toString(), "CI", "true");
		assertThatIllegalStateException().isThrownBy(() -> EtcdBinary.find(env))
			.withMessageContaining("CI=true, so tests that need etcd fail instead of skipping");
	}

	private static Path executable(Path file) throws Exception {
		Files.writeString(file, "#!/bin/sh\n");
		Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
		return file;
	}

}
