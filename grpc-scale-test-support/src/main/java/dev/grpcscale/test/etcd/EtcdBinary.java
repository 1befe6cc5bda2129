package dev.grpcscale.test.etcd;

import java.io.File;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the {@code etcd} binary is: {@code $ETCD_BIN} when set (and only there), else the first executable
 * {@code etcd} on the {@code PATH}. A missing binary aborts the calling test, or fails it with
 * {@code CI=true}.
 */
final class EtcdBinary {

	static final String MISSING = "No etcd binary: set ETCD_BIN or put 'etcd' on the PATH (Debian: apt-get install -y etcd-server etcd-client)";

	private EtcdBinary() {
	}

	/**
	 * The binary the environment names.
	 * @param env the process environment, {@link System#getenv()} outside tests
	 * @return its path, or {@code null} when there is none
	 */
	static @Nullable String locate(Map<String, String> env) {
		String explicit = env.get("ETCD_BIN");
		if (explicit != null && !explicit.isBlank()) {
			return new File(explicit).canExecute() ? explicit : null;
		}
		String path = env.getOrDefault("PATH", "/usr/bin:/usr/local/bin");
		for (String dir : path.split(File.pathSeparator)) {
			File candidate = new File(dir, "etcd");
			if (candidate.canExecute()) {
				return candidate.getAbsolutePath();
			}
		}
		return null;
	}

	/**
	 * The binary the environment names, or the end of the calling test.
	 * @param env the process environment, {@link System#getenv()} outside tests
	 * @return its path
	 * @throws org.opentest4j.TestAbortedException when there is none, so the test is reported skipped
	 * @throws IllegalStateException when there is none and {@code CI=true}
	 */
	static String find(Map<String, String> env) {
		String binary = locate(env);
		if (binary != null) {
			return binary;
		}
		if ("true".equalsIgnoreCase(env.get("CI"))) {
			throw new IllegalStateException(MISSING + "; CI=true, so tests that need etcd fail instead of skipping");
		}
		Assumptions.abort(MISSING);
		throw new IllegalStateException(MISSING);
	}

}
