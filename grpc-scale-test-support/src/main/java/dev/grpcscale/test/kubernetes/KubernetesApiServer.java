package dev.grpcscale.test.kubernetes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/**
 * fabric8's Kubernetes API mock server in CRUD mode on 127.0.0.1 and a free port: it stores what it is sent
 * and serves gets, lists and watches of it (label selectors, resourceVersions), over plain HTTP.
 * {@link #stop()} and {@link #restart()} cut and restore the API for clients that keep the same address; a
 * restarted server starts empty and counts resourceVersions from 1 again.
 *
 * <pre>{@code
 * KubernetesApiServer api = this.resources.track(KubernetesApiServer.start());
 * KubernetesClient client = api.client();
 * }</pre>
 */
public final class KubernetesApiServer implements AutoCloseable {

	private final List<KubernetesClient> clients = new CopyOnWriteArrayList<>();

	private final int port;

	private volatile KubernetesMockServer server;

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

	/** A new client of this server, closed with it. */
	public KubernetesClient client() {
		KubernetesClient client = this.server.createClient();
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

	/** Stops answering: open watches end and new connections are refused. */
	public void stop() {
		destroy(this.server);
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

	/** Starts an empty server on the same port again. */
	public void restart() {
		this.server = serve(this.port);
	}

	@Override
	public void close() {
		this.clients.forEach(KubernetesClient::close);
		destroy(this.server);
	}

}
