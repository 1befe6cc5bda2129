package dev.grpcscale.cluster.kubernetes;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/**
 * fabric8's Kubernetes API mock server in CRUD mode (objects kept, resourceVersion conditions checked, label
 * selectors, watches) on 127.0.0.1 and a free port, with clients on it, all closed by {@link #close()}.
 */
final class MockKubernetesApi implements AutoCloseable {

	static final String NAMESPACE = "shop";

	private final KubernetesMockServer server;

	private final List<KubernetesClient> clients = new ArrayList<>();

	MockKubernetesApi() {
		this.server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
				new KubernetesCrudDispatcher(), false);
		this.server.init(InetAddress.getLoopbackAddress(), 0);
	}

	int port() {
		return this.server.getPort();
	}

	/** A client of its own (one application's), namespace {@value #NAMESPACE}. */
	KubernetesClient newClient() {
		return clientOn("127.0.0.1", port());
	}

	/** A client reaching the API server through {@code host:port}, for example a proxy. */
	KubernetesClient clientOn(String host, int port) {
		Config config = new ConfigBuilder(Config.empty()).withMasterUrl("http://" + host + ":" + port)
			.withNamespace(NAMESPACE)
			.withRequestRetryBackoffLimit(0)
			.build();
		KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
		this.clients.add(client);
		return client;
	}

	@Override
	public void close() {
		this.clients.forEach(KubernetesClient::close);
		this.server.destroy();
	}

}
