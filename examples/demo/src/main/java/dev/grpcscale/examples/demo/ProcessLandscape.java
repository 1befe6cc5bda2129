package dev.grpcscale.examples.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;

/**
 * Every application is a JVM process of its own, started with its {@code etcd} profile: discovery and the
 * product-service cluster on one etcd, gRPC on any free port of 127.0.0.1 (found through discovery), Actuator
 * over HTTP on a free port the demo picks. The demo
 * drives them as an operator would: through etcd, gRPC and {@code /actuator/*}. Each run uses a key
 * namespace of its own, so a shared etcd is not disturbed. Each process's output goes to a file of its own
 * in a temporary directory, named in {@link #description()}.
 */
final class ProcessLandscape implements Landscape {

	private static final JsonMapper JSON = JsonMapper.shared();

	private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

	private final String endpoints;

	private final @Nullable LocalEtcd localEtcd;

	private final ChildJvm jvm;

	private final Path logDir;

	private final String namespace = "/grpc-scale-demo-" + Long.toHexString(System.nanoTime());

	private final EtcdServiceRegistry discovery;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private final Map<String, Child> children = Collections.synchronizedMap(new LinkedHashMap<>());

	private final Thread cleanup = new Thread(this::destroyAll, "grpc-scale-demo-cleanup");

	/** Arguments added to every application's command line (the dashboard renderer exposes Prometheus). */
	private final List<String> extraArguments = new ArrayList<>();

	private ProcessLandscape(String endpoints, @Nullable LocalEtcd localEtcd, ChildJvm jvm, Path logDir) {
		this.endpoints = endpoints;
		this.localEtcd = localEtcd;
		this.jvm = jvm;
		this.logDir = logDir;
		this.discovery = EtcdServiceRegistry.builder().endpoints(endpoints.split(",")).namespace(this.namespace).build();
		Runtime.getRuntime().addShutdownHook(this.cleanup);
	}

	/**
	 * Runs the applications on the etcd at {@code endpoints}, or, when that is {@code null}, on an etcd
	 * started from the {@code etcd} binary for this run.
	 * @param endpoints comma-separated etcd client URLs, or {@code null}
	 * @param jvm how to start the applications
	 * @throws IllegalStateException when no endpoint is given and there is no {@code etcd} binary
	 */
	static ProcessLandscape start(@Nullable String endpoints, ChildJvm jvm) throws IOException, InterruptedException {
		Path logDir = Files.createTempDirectory("grpc-scale-demo-");
		if (endpoints != null) {
			return new ProcessLandscape(endpoints, null, jvm, logDir);
		}
		String binary = LocalEtcd.binary();
		if (binary == null) {
			throw new IllegalStateException("No etcd: give its endpoints (--etcd=http://host:2379 or ETCD_ENDPOINTS), "
					+ "or install the etcd binary (Debian: apt-get install etcd-server) or point ETCD_BIN at it");
		}
		LocalEtcd etcd = LocalEtcd.start(binary, logDir);
		try {
			return new ProcessLandscape(etcd.endpoint(), etcd, jvm, logDir);
		}
		catch (RuntimeException ex) {
			etcd.close();
			throw ex;
		}
	}

	@Override
	public String description() {
		return "product-service and user-service as separate JVM processes on etcd at " + this.endpoints
				+ ((this.localEtcd != null) ? " (started for this run)" : "") + ", key namespace " + this.namespace
				+ "; logs in " + this.logDir;
	}

	@Override
	public ServiceDiscovery discovery() {
		return this.discovery;
	}

	/** All processes at once, then waits for each. */
	@Override
	public void start(Map<String, Application> applications) throws Exception {
		applications.forEach(this::spawn);
		for (String instanceName : applications.keySet()) {
			awaitRegistered(instanceName, child(instanceName));
		}
	}

	private void spawn(String instanceName, Application application) {
		try {
			int httpPort = FreePorts.next();
			List<String> args = List.of("--spring.profiles.active=etcd", "--example.instance-name=" + instanceName,
					"--spring.grpc.server.address=127.0.0.1", "--spring.grpc.server.port=0",
					"--server.address=127.0.0.1", "--server.port=" + httpPort,
					"--spring.grpc.server.shutdown.grace-period=5s", "--spring.main.banner-mode=off",
					"--grpc.scale.service-discovery.etcd.endpoints=" + this.endpoints,
					"--grpc.scale.service-discovery.etcd.namespace=" + this.namespace);
			args = new ArrayList<>(args);
			args.addAll(this.extraArguments);
			Path log = this.logDir.resolve(instanceName + ".log");
			Process process = new ProcessBuilder(this.jvm.command(application.mainClass, args)).redirectErrorStream(true)
				.redirectOutput(log.toFile())
				.start();
			this.children.put(instanceName, new Child(process, URI.create("http://127.0.0.1:" + httpPort + "/actuator/"), log));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start " + instanceName, ex);
		}
	}

	/** Started once its {@code /actuator/grpcscale} lists the instance it registered. */
	private void awaitRegistered(String instanceName, Child child) throws Exception {
		long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
		while (System.nanoTime() < deadline) {
			if (!child.process.isAlive()) {
				throw new IllegalStateException(instanceName + " exited with code " + child.process.exitValue()
						+ " at start-up; see " + child.log);
			}
			try {
				if (!status(instanceName).path("services").isEmpty()) {
					return;
				}
			}
			catch (IOException ex) {
				// its HTTP server is not up yet
			}
			Thread.sleep(100);
		}
		throw new IllegalStateException(instanceName + " did not register within " + START_TIMEOUT.toSeconds()
				+ " s; see " + child.log);
	}

	/**
	 * Adds arguments to the command line of every application started from now on.
	 * @param arguments {@code --key=value} arguments
	 */
	void addArguments(List<String> arguments) {
		this.extraArguments.addAll(arguments);
	}

	/**
	 * An application's {@code /actuator/prometheus} scrape (exposed with {@link #addArguments}).
	 * @param instanceName the application
	 * @return the Prometheus text exposition
	 */
	String prometheus(String instanceName) throws IOException, InterruptedException {
		return send(HttpRequest.newBuilder(child(instanceName).actuator.resolve("prometheus"))
			.timeout(Duration.ofSeconds(5))
			.build());
	}

	@Override
	public JsonNode status(String instanceName) throws IOException, InterruptedException {
		return get(instanceName, "grpcscale");
	}

	@Override
	public JsonNode example(String instanceName) throws IOException, InterruptedException {
		return get(instanceName, "example");
	}

	private JsonNode get(String instanceName, String endpoint) throws IOException, InterruptedException {
		HttpRequest request = HttpRequest.newBuilder(child(instanceName).actuator.resolve(endpoint))
			.timeout(Duration.ofSeconds(5))
			.build();
		return JSON.readTree(send(request));
	}

	@Override
	public void setFailing(String instanceName, boolean failing) throws IOException, InterruptedException {
		send(HttpRequest.newBuilder(child(instanceName).actuator.resolve("example"))
			.timeout(Duration.ofSeconds(5))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString("{\"failing\":" + failing + "}"))
			.build());
	}

	private String send(HttpRequest request) throws IOException, InterruptedException {
		HttpResponse<String> response = this.http.send(request,
				HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
		if (response.statusCode() / 100 != 2) {
			throw new IOException(request.method() + " " + request.uri() + ": HTTP " + response.statusCode());
		}
		return response.body();
	}

	/** {@code SIGTERM}, then waits for the process to end: Spring Boot shuts down gracefully. */
	@Override
	public void stop(String instanceName) throws InterruptedException {
		Child child = this.children.remove(instanceName);
		if (child != null) {
			child.process.destroy();
			if (!child.process.waitFor(30, TimeUnit.SECONDS)) {
				child.process.destroyForcibly().waitFor();
			}
		}
	}

	private Child child(String instanceName) {
		Child child = this.children.get(instanceName);
		if (child == null) {
			throw new IllegalArgumentException("No running application '" + instanceName + "'");
		}
		return child;
	}

	@Override
	public void close() throws Exception {
		List<String> running;
		synchronized (this.children) {
			running = new ArrayList<>(this.children.keySet());
		}
		Collections.reverse(running);
		for (String instanceName : running) {
			stop(instanceName);
		}
		this.discovery.close();
		if (this.localEtcd != null) {
			this.localEtcd.close();
		}
		Runtime.getRuntime().removeShutdownHook(this.cleanup);
	}

	/** When the demo is interrupted (Ctrl-C): every process gets a graceful shutdown, and none outlives it. */
	private void destroyAll() {
		List<Child> running;
		synchronized (this.children) {
			running = new ArrayList<>(this.children.values());
		}
		running.forEach((child) -> child.process.destroy());
		for (Child child : running) {
			try {
				if (!child.process.waitFor(10, TimeUnit.SECONDS)) {
					child.process.destroyForcibly();
				}
			}
			catch (InterruptedException ex) {
				child.process.destroyForcibly();
			}
		}
		if (this.localEtcd != null) {
			try {
				this.localEtcd.close();
			}
			catch (IOException | InterruptedException ex) {
				// the JVM is exiting
			}
		}
	}

	private record Child(Process process, URI actuator, Path log) {
	}

}
