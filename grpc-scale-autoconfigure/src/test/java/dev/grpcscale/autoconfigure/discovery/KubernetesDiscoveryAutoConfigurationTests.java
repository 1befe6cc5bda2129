package dev.grpcscale.autoconfigure.discovery;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.io.ClassPathResource;
import org.springframework.grpc.client.GrpcChannelFactory;

import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.autoconfigure.kubernetes.GrpcScaleKubernetesAutoConfiguration;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.ServiceRegistry;
import dev.grpcscale.discovery.kubernetes.KubernetesService;
import dev.grpcscale.discovery.kubernetes.KubernetesServiceDiscovery;
import dev.grpcscale.test.junit.CloseAfterEach;
import dev.grpcscale.test.kubernetes.EndpointSlices;
import dev.grpcscale.test.kubernetes.KubernetesApiServer;

import static dev.grpcscale.test.kubernetes.EndpointSlices.endpoint;
import static dev.grpcscale.test.kubernetes.EndpointSlices.pod;
import static dev.grpcscale.test.kubernetes.EndpointSlices.port;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code grpc.scale.service-discovery.provider=kubernetes}: the shared {@code KubernetesClient} from a kubeconfig,
 * discovery from EndpointSlices on fabric8's CRUD mock API server, and applications calling each other through
 * it.
 */
class KubernetesDiscoveryAutoConfigurationTests {

	private static final String KUBECONFIG = "kubeconfig";

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(AutoConfigurations
		.of(GrpcScaleAutoConfiguration.class, GrpcScaleKubernetesAutoConfiguration.class,
				GrpcScaleDiscoveryAutoConfiguration.class));

	@Test
	void theClientComesFromTheKubeconfigAndDiscoveryUsesItsNamespace(@TempDir Path directory) {
		KubernetesApiServer api = this.resources.track(KubernetesApiServer.start());
		new EndpointSlices(api.client(), "shop").put("users", "users-a", List.of(port("grpc", 9090)), pod("users-1"));
		withKubeconfig(api.writeKubeconfig(directory, "shop"), () -> this.runner
			.withPropertyValues("grpc.scale.service-discovery.provider=kubernetes")
			.run((context) -> {
				assertThat(context).hasSingleBean(KubernetesClient.class);
				KubernetesServiceDiscovery discovery = context.getBean(KubernetesServiceDiscovery.class);
				assertThat(context.getBean(ServiceRegistry.class)).isSameAs(discovery);
				assertThat(discovery.namespace()).isEqualTo("shop");
				assertThat(discovery.getInstances("users")).extracting(ServiceInstance::instanceId)
					.containsExactly("users-1");
				assertThat(context.getBean(KubernetesClient.class).getMasterUrl().toString()).isEqualTo(api.url());
			}));
	}

	@Test
	void theApplicationsClientIsUsedAndServicesAreMapped() {
		KubernetesApiServer api = this.resources.track(KubernetesApiServer.start());
		KubernetesClient client = api.client();
		new EndpointSlices(client, "billing").put("invoice-api", "invoice-api-a", List.of(port("rpc", 7000)),
				pod("invoice-1"));
		this.runner.withBean(KubernetesClient.class, () -> client)
			.withPropertyValues("grpc.scale.service-discovery.provider=kubernetes",
					"grpc.scale.service-discovery.kubernetes.namespace=shop",
					"grpc.scale.service-discovery.kubernetes.port-name=rpc",
					"grpc.scale.service-discovery.kubernetes.services.invoices.service-name=invoice-api",
					"grpc.scale.service-discovery.kubernetes.services.invoices.namespace=billing",
					"grpc.scale.service-discovery.kubernetes.services.orders.namespace=sales")
			.run((context) -> {
				assertThat(context.getBean(KubernetesClient.class)).isSameAs(client);
				KubernetesServiceDiscovery discovery = context.getBean(KubernetesServiceDiscovery.class);
				assertThat(discovery.target("invoices")).isEqualTo(new KubernetesService("invoice-api", "billing"));
				assertThat(discovery.target("orders")).isEqualTo(new KubernetesService("orders", "sales"));
				assertThat(discovery.target("users")).isEqualTo(new KubernetesService("users", "shop"));
				assertThat(discovery.getInstances("invoices")).extracting(ServiceInstance::port).containsExactly(7000);
			});
	}

	@Test
	void noClientUnlessAProviderIsKubernetes() {
		this.runner.run((context) -> assertThat(context).doesNotHaveBean(KubernetesClient.class)
			.doesNotHaveBean(KubernetesServiceDiscovery.class));
	}

	@Test
	void theClusterProviderAloneAlsoGetsTheClient(@TempDir Path directory) {
		KubernetesApiServer api = this.resources.track(KubernetesApiServer.start());
		withKubeconfig(api.writeKubeconfig(directory, "shop"),
				() -> new ApplicationContextRunner()
					.withConfiguration(AutoConfigurations.of(GrpcScaleKubernetesAutoConfiguration.class))
					.withPropertyValues("grpc.scale.cluster.provider=kubernetes")
					.run((context) -> assertThat(context).hasSingleBean(KubernetesClient.class)));
	}

	@Test
	void withoutFabric8StartupFailsNamingTheDependency() {
		this.runner.withPropertyValues("grpc.scale.service-discovery.provider=kubernetes")
			.withClassLoader(new FilteredClassLoader("io.fabric8.kubernetes.client"))
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining(
						"grpc.scale.service-discovery.provider: 'kubernetes' (expected: io.fabric8:kubernetes-client "
								+ "on the classpath");
			});
	}

	@Test
	void withoutAFabric8HttpClientStartupFailsNamingOne() {
		this.runner.withPropertyValues("grpc.scale.service-discovery.provider=kubernetes")
			.withClassLoader(new FilteredClassLoader(
					new ClassPathResource("META-INF/services/io.fabric8.kubernetes.client.http.HttpClient$Factory")))
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining(
						"grpc.scale.service-discovery.provider: 'kubernetes' (expected: a fabric8 HTTP client on the "
								+ "classpath for provider 'kubernetes', for example io.fabric8:kubernetes-httpclient-jdk)");
			});
	}

	@Test
	void badValuesFailNamingTheKey() {
		this.runner.withPropertyValues("grpc.scale.service-discovery.provider=kubernetes",
				"grpc.scale.service-discovery.kubernetes.namespace=Shop",
				"grpc.scale.service-discovery.kubernetes.service-idle-timeout=0s",
				"grpc.scale.service-discovery.kubernetes.services.User_Api.namespace=shop")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure())
					.hasStackTraceContaining("grpc.scale.service-discovery.kubernetes.namespace: 'Shop' (expected: a DNS "
							+ "label")
					.hasStackTraceContaining("grpc.scale.service-discovery.kubernetes.service-idle-timeout: 'PT0S'")
					.hasStackTraceContaining("kubernetes.services.User_Api.service-name: 'null' (expected: the "
							+ "Kubernetes Service's name");
			});
	}

	@Test
	void anApplicationCallsAnotherThroughItsEndpointSlices(@TempDir Path directory) {
		KubernetesApiServer api = this.resources.track(KubernetesApiServer.start());
		EndpointSlices slices = new EndpointSlices(api.client(), "shop");
		withKubeconfig(api.writeKubeconfig(directory, "shop"), () -> {
			String[] kubernetes = { "grpc.scale.service-discovery.provider=kubernetes" };
			ConfigurableApplicationContext server = this.resources
				.track(TestServices.startServer("product-service", "p-k8s", "unused", kubernetes));
			ConfigurableApplicationContext client = this.resources.track(TestServices.startClient("unused", kubernetes));
			int port = server.getEnvironment().getProperty("local.grpc.server.port", Integer.class);
			// the server registered nothing: Kubernetes lists a pod once its readiness probe passes
			assertThat(api.client().discovery().v1().endpointSlices().inAnyNamespace().list().getItems()).isEmpty();
			slices.put("product-service", "product-service-a", List.of(port("grpc", port)), pod("product-1"));

			ManagedChannel channel = client.getBean(GrpcChannelFactory.class)
				.createChannel("discovery:///product-service");
			this.resources.track(channel::shutdownNow);
			SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel);
			await().atMost(Duration.ofSeconds(20))
				.ignoreExceptionsInstanceOf(StatusRuntimeException.class)
				.until(() -> TestServices.answers(stub, 2).equals(java.util.Set.of("p-k8s")));

			// the pod turns unready: it leaves the client's view
			slices.put("product-service", "product-service-a", List.of(port("grpc", port)),
					endpoint("product-1", "127.0.0.1", false, false, false));
			ServiceDiscovery discovery = client.getBean(ServiceDiscovery.class);
			await().atMost(Duration.ofSeconds(20)).until(() -> discovery.getInstances("product-service").isEmpty());
		});
	}

	/** Runs {@code action} with fabric8 reading {@code kubeconfig} (its {@code kubeconfig} system property). */
	private static void withKubeconfig(Path kubeconfig, Runnable action) {
		String previous = System.getProperty(KUBECONFIG);
		System.setProperty(KUBECONFIG, kubeconfig.toString());
		try {
			action.run();
		}
		finally {
			if (previous != null) {
				System.setProperty(KUBECONFIG, previous);
			}
			else {
				System.clearProperty(KUBECONFIG);
			}
		}
	}

}
