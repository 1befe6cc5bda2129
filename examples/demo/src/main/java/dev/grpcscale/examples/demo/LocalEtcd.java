package dev.grpcscale.examples.demo;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * A single etcd member started for the demo from the {@code etcd} binary ({@code $ETCD_BIN}, else
 * {@code etcd} on the {@code PATH}) on free loopback ports, with a temporary data directory that is
 * deleted when it stops.
 */
final class LocalEtcd implements AutoCloseable {

	private final Process process;

	private final Path dataDir;

	private final String endpoint;

	private LocalEtcd(Process process, Path dataDir, String endpoint) {
		this.process = process;
		this.dataDir = dataDir;
		this.endpoint = endpoint;
	}

	/** The binary this would start, or {@code null} when there is none. */
	static @Nullable String binary() {
		String configured = System.getenv("ETCD_BIN");
		if (configured != null && !configured.isBlank()) {
			return new File(configured).canExecute() ? configured : null;
		}
		String path = System.getenv("PATH");
		return (path == null) ? null
				: Stream.of(path.split(File.pathSeparator))
					.map((dir) -> new File(dir, "etcd"))
					.filter(File::canExecute)
					.map(File::getPath)
					.findFirst()
					.orElse(null);
	}

	/**
	 * Starts etcd and waits until it answers its health check.
	 * @param binary the etcd binary
	 * @param logDir where its output goes ({@code etcd.log})
	 */
	static LocalEtcd start(String binary, Path logDir) throws IOException, InterruptedException {
		Path dataDir = Files.createTempDirectory("grpc-scale-demo-etcd-");
		String client = "http://127.0.0.1:" + FreePorts.next();
		String peer = "http://127.0.0.1:" + FreePorts.next();
		Process process = new ProcessBuilder(binary, "--name", "demo", "--data-dir", dataDir.toString(),
				"--listen-client-urls", client, "--advertise-client-urls", client, "--listen-peer-urls", peer,
				"--initial-advertise-peer-urls", peer, "--initial-cluster", "demo=" + peer)
			.redirectErrorStream(true)
			.redirectOutput(logDir.resolve("etcd.log").toFile())
			.start();
		LocalEtcd etcd = new LocalEtcd(process, dataDir, client);
		try {
			etcd.awaitHealthy(Duration.ofSeconds(20));
		}
		catch (IOException | InterruptedException | RuntimeException ex) {
			etcd.close();
			throw ex;
		}
		return etcd;
	}

	private void awaitHealthy(Duration timeout) throws IOException, InterruptedException {
		HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
		HttpRequest health = HttpRequest.newBuilder(URI.create(this.endpoint + "/health"))
			.timeout(Duration.ofSeconds(1))
			.build();
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			if (!this.process.isAlive()) {
				throw new IOException("etcd exited with code " + this.process.exitValue() + " at start-up");
			}
			try {
				if (http.send(health, HttpResponse.BodyHandlers.ofString()).body().contains("\"health\":\"true\"")) {
					return;
				}
			}
			catch (IOException ex) {
				// not listening yet
			}
			Thread.sleep(100);
		}
		throw new IOException("etcd at " + this.endpoint + " was not healthy within " + timeout.toSeconds() + " s");
	}

	/** The client URL. */
	String endpoint() {
		return this.endpoint;
	}

	@Override
	public void close() throws IOException, InterruptedException {
		this.process.destroy();
		if (!this.process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
			this.process.destroyForcibly().waitFor();
		}
		try (Stream<Path> files = Files.walk(this.dataDir)) {
			for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(file);
			}
		}
	}

}
