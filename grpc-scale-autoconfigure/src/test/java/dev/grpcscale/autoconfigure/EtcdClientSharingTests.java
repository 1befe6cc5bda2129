package dev.grpcscale.autoconfigure;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.cluster.ClusterEtcdClient;
import dev.grpcscale.autoconfigure.cluster.GrpcScaleClusterAutoConfiguration;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.cluster.etcd.EtcdLeaderElection;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.discovery.etcd.EtcdClients;
import dev.grpcscale.discovery.etcd.EtcdServiceRegistry;
import dev.grpcscale.test.etcd.EtcdCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * One jetcd client per application, shared by discovery's registry and the cluster's election, against a real
 * etcd; a user's client is recorded by a proxy around it.
 */
class EtcdClientSharingTests {

	private static EtcdCluster etcd;

	private final List<String> calls = new CopyOnWriteArrayList<>();

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
				GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders", "grpc.scale.service-discovery.provider=etcd",
				"grpc.scale.cluster.provider=etcd", "grpc.scale.cluster.heartbeat-interval=200ms",
				"grpc.scale.cluster.election-timeout=1s");

	@BeforeAll
	static void startEtcd() {
		etcd = EtcdCluster.startSingle();
	}

	@AfterAll
	static void stopEtcd() {
		etcd.close();
	}

	@Test
	void discoveryAndClusterOnEtcdUseOneClientThatClosesAfterBoth() throws Exception {
		String namespace = "/" + UUID.randomUUID();
		AtomicReference<Client> shared = new AtomicReference<>();
		onEtcd(namespace).run((context) -> {
			assertThat(context).hasSingleBean(Client.class)
				.hasSingleBean(EtcdServiceRegistry.class)
				.hasSingleBean(EtcdLeaderElection.class);
			Client client = context.getBean(Client.class);
			shared.set(client);
			ClusterEtcdClient cluster = context.getBean(ClusterEtcdClient.class);
			assertThat(cluster.client()).isSameAs(client);
			assertThat(cluster.ownsClient()).isFalse();
			// the registry and the election's holder depend on the client: the context destroys them first
			assertThat(context.getBeanFactory().getDependentBeans("grpcScaleEtcdClient"))
				.contains("etcdServiceRegistry", "clusterEtcdClient");
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			manager.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090));
			await().atMost(Duration.ofSeconds(10)).until(manager::isLeader);
			assertThat(manager.discoverServices("orders")).hasSize(1);
			assertThat(keysUnder(client, namespace)).anyMatch((key) -> key.contains("/services/orders/"))
				.anyMatch((key) -> key.contains("/cluster/orders/"));
		});
		// the registry deleted its key and the election revoked its lease, through the client, before it closed
		try (Client reader = EtcdClients.builder().endpoints(etcd.clientEndpoints()).build()) {
			assertThat(keysUnder(reader, namespace)).isEmpty();
		}
		assertThatExceptionOfType(ExecutionException.class)
			.isThrownBy(() -> shared.get().getKVClient().get(ByteSequence.from("k", StandardCharsets.UTF_8)).get());
	}

	@Test
	void clusterWithOtherEndpointsThanDiscoveryGetsAClientOfItsOwn() {
		String otherForm = etcd.clientEndpoints().get(0).replace("127.0.0.1", "localhost");
		onEtcd().withPropertyValues("grpc.scale.cluster.etcd.endpoints=" + otherForm).run((context) -> {
			assertThat(context).hasSingleBean(Client.class);
			ClusterEtcdClient cluster = context.getBean(ClusterEtcdClient.class);
			assertThat(cluster.client()).isNotSameAs(context.getBean(Client.class));
			assertThat(cluster.ownsClient()).isTrue();
			assertThat(context.getBeanFactory().getDependentBeans("grpcScaleEtcdClient"))
				.containsExactly("etcdServiceRegistry");
			await().atMost(Duration.ofSeconds(10)).until(context.getBean(EnhancedServiceManager.class)::isLeader);
		});
	}

	@Test
	void clusterAloneOnEtcdBuildsOneClientOfItsOwn() {
		this.runner
			.withPropertyValues("grpc.scale.service-discovery.provider=memory",
					"grpc.scale.service-discovery.memory.namespace=" + TestServices.uniqueNamespace(),
					"grpc.scale.cluster.etcd.endpoints=" + String.join(",", etcd.clientEndpoints()),
					"grpc.scale.cluster.etcd.namespace=/" + UUID.randomUUID())
			.run((context) -> {
				assertThat(context).doesNotHaveBean(Client.class).hasSingleBean(EtcdLeaderElection.class);
				assertThat(context.getBean(ClusterEtcdClient.class).ownsClient()).isTrue();
			});
	}

	@Test
	void aUserClientIsUsedByRegistryAndElectionAndNotClosed() throws Exception {
		try (Client own = EtcdClients.builder().endpoints(etcd.clientEndpoints()).build()) {
			Client recorded = record(own);
			// destroyMethod "": the application manages its client, as @Bean(destroyMethod = "") says
			onEtcd().withBean("myEtcdClient", Client.class, () -> recorded,
					(definition) -> definition.setDestroyMethodName("")).run((context) -> {
				assertThat(context).hasSingleBean(Client.class).doesNotHaveBean("grpcScaleEtcdClient");
				assertThat(context.getBean(ClusterEtcdClient.class).client()).isSameAs(recorded);
				EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
				manager.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9091));
				await().atMost(Duration.ofSeconds(10)).until(manager::isLeader);
				// the election campaigns with a KV transaction on its lease (no Election API), as the registry
				// registers: both on the recorded client
				assertThat(this.calls).contains("getLeaseClient", "getKVClient");
			});
			assertThat(this.calls).doesNotContain("close");
			// still open: it answers
			assertThat(own.getKVClient().get(ByteSequence.from("k", StandardCharsets.UTF_8)).get().getCount()).isZero();
		}
	}

	private ApplicationContextRunner onEtcd() {
		return onEtcd("/" + UUID.randomUUID());
	}

	private ApplicationContextRunner onEtcd(String namespace) {
		return this.runner.withPropertyValues(
				"grpc.scale.service-discovery.etcd.endpoints=" + String.join(",", etcd.clientEndpoints()),
				"grpc.scale.service-discovery.etcd.namespace=" + namespace);
	}

	private static List<String> keysUnder(Client client, String namespace) throws Exception {
		return client.getKVClient()
			.get(ByteSequence.from(namespace + "/", StandardCharsets.UTF_8),
					GetOption.builder().isPrefix(true).withKeysOnly(true).build())
			.get()
			.getKvs()
			.stream()
			.map((kv) -> kv.getKey().toString(StandardCharsets.UTF_8))
			.toList();
	}

	/** A proxy of the client that records the name of every method called on it. */
	private Client record(Client client) {
		return (Client) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { Client.class },
				(proxy, method, args) -> {
					this.calls.add(method.getName());
					try {
						return method.invoke(client, args);
					}
					catch (InvocationTargetException ex) {
						throw ex.getCause();
					}
				});
	}

}
