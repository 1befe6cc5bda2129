package dev.grpcscale.test.kubernetes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/**
 * fabric8's Kubernetes API mock server in CRUD mode on 127.0.0.1 and a free port: it stores what it is sent
 * and serves gets, lists and watches of it (label selectors, resourceVersions), over plain HTTP. To cut a
 * client off, give it a {@link #client(String) URL} through a {@code TcpProxy}.
 *
 * <pre>{@code
 * KubernetesApiServer api = this.resources.track(KubernetesApiServer.start());
 * KubernetesClient client = api.client();
 * }</pre>
 */
public final class KubernetesApiServer implements AutoCloseable {

	private final List<KubernetesClient> clients = new CopyOnWriteArrayList<>();

	private final int port;

	private final KubernetesMockServer server;

	private KubernetesApiServer(KubernetesMockServer server) {
		this.server = server;
		this.port = server.getPort();
	}

	/** Starts a server on a free loopback port. */
	public static KubernetesApiServer start() {
		return new KubernetesApiServer(serve(0));
	}

	private static KubernetesMockServer serve(int port) {
		KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
				new KubernetesCrudDispatcher(), false);
		server.init(InetAddress.getLoopbackAddress(), port);
		return server;
	}

	/** The server's URL, {@code http://127.0.0.1:<port>/}. */
	public String url() {
		return "http://127.0.0.1:" + this.port + "/";
	}

	/** The server's port. */
	public int port() {
		return this.port;
	}

	/** A new client of this server, closed with it. */
	public KubernetesClient client() {
		KubernetesClient client = this.server.createClient();
		this.clients.add(client);
		return client;
	}

	/**
	 * A new client of this server reached at another URL (a proxy in front of it), closed with it.
	 * @param url the URL, for example {@code http://127.0.0.1:<proxy port>/}
	 * @return the client
	 */
	public KubernetesClient client(String url) {
		KubernetesClient client = new KubernetesClientBuilder()
			.withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(url).build())
			.build();
		this.clients.add(client);
		return client;
	}

	/**
	 * Writes a kubeconfig file whose current context is this server with {@code namespace}, as
	 * {@code kubectl config} would.
	 * @param directory where to write it
	 * @param namespace the context's namespace
	 * @return the file
	 */
	public Path writeKubeconfig(Path directory, String namespace) {
		String kubeconfig = """
				apiVersion: v1
				kind: Config
				clusters:
				- name: mock
				  cluster:
				    server: %s
				users:
				- name: tester
				  user:
				    token: test-token
				contexts:
				- name: mock
				  context:
				    cluster: mock
				    user: tester
				    namespace: %s
				current-context: mock
				""".formatted(url(), namespace);
		try {
			return Files.writeString(directory.resolve("kubeconfig"), kubeconfig);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}


	/**
	 * Destroys a server. Its Vert.x server is given 10 s to close, which a machine busy with other builds can
	 * exceed; the close then goes on in the background and is not a failure of the test.
	 */
	private static void destroy(KubernetesMockServer server) {
		try {
			server.destroy();
		}
		catch (IllegalStateException ex) {
			System.err.println("KubernetesApiServer: " + ex.getMessage() + " within 10 s; it goes on closing");
		}
	}

	@Override
	public void close() {
		this.clients.forEach(KubernetesClient::close);
		destroy(this.server);
	}

}
