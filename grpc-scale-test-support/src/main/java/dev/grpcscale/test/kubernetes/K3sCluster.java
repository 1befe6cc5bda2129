package dev.grpcscale.test.kubernetes;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.jspecify.annotations.Nullable;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * One real Kubernetes API server, k3s in a container started through Testcontainers at first use and shared
 * by every test class of the JVM (starting k3s takes tens of seconds); Testcontainers' Ryuk container, or
 * else a shutdown hook, removes it when the JVM exits. Test classes using it are annotated
 * {@code @Testcontainers(disabledWithoutDocker = true)}, so they are reported skipped where no Docker engine
 * is available, with {@code CI=true} as well. Since the cluster is shared, each test class writes in
 * namespaces of its own ({@link #createNamespace}).
 *
 * <pre>{@code
 * KubernetesClient client = this.resources.track(K3sCluster.newClient());
 * String namespace = K3sCluster.createNamespace(client, "election");
 * }</pre>
 *
 * Needs {@code org.testcontainers:testcontainers-k3s} and fabric8's client on the test class path (optional
 * dependencies of this module).
 */
public final class K3sCluster {

	/** The k3s image. */
	public static final String IMAGE = "rancher/k3s:v1.31.4-k3s1";

	private static @Nullable K3sContainer container;

	private static int namespaces;

	private K3sCluster() {
	}

	/**
	 * The cluster's admin kubeconfig, starting the container on the first call.
	 * @return the kubeconfig YAML, its server URL reachable from this JVM
	 */
	public static synchronized String kubeConfigYaml() {
		K3sContainer started = container;
		if (started == null) {
			started = new K3sContainer(DockerImageName.parse(IMAGE));
			started.start();
			Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "k3s-stop"));
			container = started;
		}
		return started.getKubeConfigYaml();
	}

	/**
	 * A new client with the cluster's admin rights (as one application's own client); the caller closes it.
	 * @return the client
	 */
	public static KubernetesClient newClient() {
		return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml())).build();
	}

	/**
	 * Creates a namespace no other caller in this JVM gets: {@code <prefix>-<n>}.
	 * @param client a client on this cluster
	 * @param prefix the start of the name, a DNS-1123 label of at most 50 characters
	 * @return the namespace's name
	 */
	public static String createNamespace(KubernetesClient client, String prefix) {
		String name = prefix + "-" + next();
		client.namespaces()
			.resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
			.create();
		return name;
	}

	private static synchronized int next() {
		return ++namespaces;
	}

}
