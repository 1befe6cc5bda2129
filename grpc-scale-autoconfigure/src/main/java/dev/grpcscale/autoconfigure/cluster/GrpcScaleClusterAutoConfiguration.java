package dev.grpcscale.autoconfigure.cluster;

import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.boot.ssl.SslBundles;

import dev.grpcscale.autoconfigure.ConsulConnections;
import dev.grpcscale.autoconfigure.EtcdConnections;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.GrpcScaleClusterProperties;
import dev.grpcscale.autoconfigure.GrpcScaleClusterProperties.Provider;
import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.autoconfigure.GrpcServerAddress;
import dev.grpcscale.cluster.InMemoryLeaderElection;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.consul.ConsulLeaderElection;
import dev.grpcscale.cluster.etcd.EtcdLeaderElection;
import dev.grpcscale.cluster.kubernetes.KubernetesLeaderElection;
import dev.grpcscale.cluster.raft.RaftLeaderElection;
import dev.grpcscale.consul.ConsulClient;

/**
 * Auto-configuration of clustering and leader election: a {@link LeaderElection} on the backend named by
 * {@code grpc.scale.cluster.provider} ({@code memory}, {@code etcd} with {@code io.etcd:jetcd-core} on the
 * classpath, {@code consul} with Jackson 3 on the classpath, {@code raft} with Apache Ratis, or {@code kubernetes}
 * with {@code io.fabric8:kubernetes-client} and the application's {@code KubernetesClient} bean), joined and resigned by the application's
 * {@code LocalInstance} (see {@code LocalInstanceLifecycle}), and closed with the context. This
 * node's leadership changes are published as {@link LeadershipGrantedEvent} and
 * {@link LeadershipRevokedEvent}.
 *
 * <p>A node announces {@code grpc.scale.cluster.address}; unset, it announces the {@code host:port} its
 * gRPC server serves on (that of the first service registered with discovery). It joins once that server
 * has started, since the port may be random. Without a gRPC server on a network port (none, or the
 * in-process one) it announces {@code ""} and joins when the context has started.
 *
 * <p>Nodes compete in the election named {@code grpc.scale.cluster.election-name}, by default
 * {@code spring.application.name}: instances of one application elect one leader, different applications
 * do not share an election. Memory elections are JVM-wide groups under {@code grpc-scale/<election>}; etcd
 * elections live under {@code <etcd namespace>/cluster/<election>/}, Consul elections under the KV keys
 * {@code grpc-scale/cluster/<election>/}, Kubernetes elections on the Lease {@code grpc-scale-<election>} (see
 * {@code LeaseNames}) in {@code grpc.scale.cluster.kubernetes.namespace}.
 *
 * <p>The etcd and Consul elections run on the application's one client of their backend (the jetcd
 * {@code Client} or {@code ConsulClient} bean that discovery's registry uses, or one a user defined), closed
 * after the election. Only when discovery runs on the same backend and {@code grpc.scale.cluster.etcd.*} /
 * {@code grpc.scale.cluster.consul.*} set other connection settings (endpoints, credentials, TLS; host, port,
 * scheme, token, request timeout, trust store), or when the application has no such client, does the election
 * get a client of its own, closed with it.
 */
@AutoConfiguration(before = GrpcScaleAutoConfiguration.class,
		afterName = "dev.grpcscale.autoconfigure.kubernetes.GrpcScaleKubernetesAutoConfiguration")
@ConditionalOnBooleanProperty(name = "grpc.scale.cluster.enabled", matchIfMissing = true)
@EnableConfigurationProperties({ GrpcScaleClusterProperties.class, GrpcScaleDiscoveryProperties.class })
public final class GrpcScaleClusterAutoConfiguration {

	private static final Log logger = LogFactory.getLog(GrpcScaleClusterAutoConfiguration.class);

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClusterProvider(Provider.MEMORY)
	static class MemoryClusterConfiguration {

		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean(LeaderElection.class)
		InMemoryLeaderElection inMemoryLeaderElection(GrpcScaleClusterProperties properties, GrpcServerAddress serverAddress,
				Environment environment) {
			LeaderElectionSettings settings = ClusterPropertyMapper.settings(properties, serverAddress,
					LeaderElectionSettings.DEFAULT_NAMESPACE, "provider", environment.getProperty("spring.application.name"));
			return InMemoryLeaderElection.shared(settings);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.etcd.jetcd.Client")
	@ConditionalOnClusterProvider(Provider.ETCD)
	static class EtcdClusterConfiguration {

		/**
		 * The application's jetcd {@code Client} (shared with discovery's registry), or one of the cluster's own
		 * when discovery runs on etcd with other connection settings, or when the application has none.
		 */
		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean({ LeaderElection.class, ClusterEtcdClient.class })
		ClusterEtcdClient clusterEtcdClient(Environment environment, GrpcScaleClusterProperties cluster,
				GrpcScaleDiscoveryProperties discovery, ObjectProvider<Client> applicationClient,
				ObjectProvider<SslBundles> sslBundles, ConfigurableListableBeanFactory beanFactory) {
			// both properties beans: bound and validated before the effective settings are read from the environment
			GrpcScaleDiscoveryProperties.EtcdConnection etcd = ClusterEtcdClient.effectiveSettings(environment);
			boolean sameConnection = !ApplicationClients.discoveryRunsOn(discovery, "etcd")
					|| EtcdConnections.sameConnection(discovery.getEtcd(), etcd);
			Client shared = ApplicationClients.shared(applicationClient, Client.class, sameConnection, beanFactory,
					"clusterEtcdClient");
			return (shared != null) ? ClusterEtcdClient.shared(shared, etcd.getNamespace())
					: ClusterEtcdClient.create(etcd, sslBundles.getIfAvailable());
		}

		/** Destroyed before the {@link ClusterEtcdClient} it depends on, so it leaves while the client is open. */
		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean(LeaderElection.class)
		EtcdLeaderElection etcdLeaderElection(ClusterEtcdClient etcd, GrpcScaleClusterProperties properties,
				GrpcServerAddress serverAddress, Environment environment) {
			LeaderElectionSettings settings = ClusterPropertyMapper.settings(properties, serverAddress,
					etcd.namespace(), "etcd.namespace", environment.getProperty("spring.application.name"));
			return EtcdLeaderElection.create(etcd.client(), settings);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "tools.jackson.databind.ObjectMapper")
	@ConditionalOnClusterProvider(Provider.CONSUL)
	static class ConsulClusterConfiguration {

		/**
		 * Runs on the application's {@code ConsulClient} (shared with discovery's registry), or on a client of its
		 * own when discovery runs on Consul with other connection settings, or when the application has none.
		 */
		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean(LeaderElection.class)
		ConsulLeaderElection consulLeaderElection(GrpcScaleClusterProperties properties,
				GrpcScaleDiscoveryProperties discovery, GrpcServerAddress serverAddress, Environment environment,
				ObjectProvider<ConsulClient> applicationClient, ObjectProvider<SslBundles> sslBundles,
				ConfigurableListableBeanFactory beanFactory) {
			LeaderElectionSettings settings = ClusterPropertyMapper.settings(properties, serverAddress,
					LeaderElectionSettings.DEFAULT_NAMESPACE, "provider",
					environment.getProperty("spring.application.name"));
			GrpcScaleClusterProperties.Consul consul = ClusterConsulElectionFactory.effectiveSettings(environment);
			boolean sameConnection = !ApplicationClients.discoveryRunsOn(discovery, "consul")
					|| ConsulConnections.sameConnection(discovery.getConsul(), consul);
			ConsulClient shared = ApplicationClients.shared(applicationClient, ConsulClient.class, sameConnection,
					beanFactory, "consulLeaderElection");
			return ClusterConsulElectionFactory.create(consul, settings, shared, sslBundles.getIfAvailable());
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = { "org.apache.ratis.server.RaftServer", "org.apache.ratis.grpc.GrpcFactory" })
	@ConditionalOnClusterProvider(Provider.RAFT)
	static class RaftClusterConfiguration {

		/**
		 * A Raft group of the nodes in {@code grpc.scale.cluster.nodes}; its Raft server starts with the bean (the
		 * port is bound and the storage opened then), so a port in use or an unwritable storage directory stops
		 * start-up, reported by {@code RaftClusterFailureAnalyzer}.
		 */
		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean(LeaderElection.class)
		RaftLeaderElection raftLeaderElection(GrpcScaleClusterProperties properties, GrpcServerAddress serverAddress,
				Environment environment) {
			LeaderElectionSettings settings = ClusterPropertyMapper.settings(properties, serverAddress,
					LeaderElectionSettings.DEFAULT_NAMESPACE, "provider", environment.getProperty("spring.application.name"));
			return ClusterRaftElectionFactory.create(properties, settings);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.fabric8.kubernetes.client.KubernetesClient")
	@ConditionalOnClusterProvider(Provider.KUBERNETES)
	static class KubernetesClusterConfiguration {

		/**
		 * Runs on the application's {@code KubernetesClient} bean (shared with discovery), which it does not close;
		 * destroyed first, so it releases the Lease while the client is open.
		 */
		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean(LeaderElection.class)
		KubernetesLeaderElection kubernetesLeaderElection(KubernetesClient client,
				GrpcScaleClusterProperties properties, GrpcServerAddress serverAddress, Environment environment) {
			LeaderElectionSettings settings = ClusterPropertyMapper.settings(properties, serverAddress,
					LeaderElectionSettings.DEFAULT_NAMESPACE, "provider", environment.getProperty("spring.application.name"));
			KubernetesLeaderElection.Builder builder = KubernetesLeaderElection.builder().client(client);
			PropertyMapper.get().from(properties.getKubernetes()::getNamespace).to(builder::namespace);
			return builder.settings(settings).build();
		}

	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	@ConditionalOnBean(LeaderElection.class)
	LeadershipEventPublisher leadershipEventPublisher(LeaderElection election, ApplicationEventPublisher publisher,
			GrpcScaleClusterProperties properties, Environment environment) {
		logger.info("Leader election '" + election.settings().qualifiedName() + "' runs on "
				+ election.getClass().getSimpleName() + ((properties.getProvider() != null)
						? " (grpc.scale.cluster.provider)"
						: " (grpc.scale.cluster.provider unset: " + describeDefault(environment) + ")"));
		return LeadershipEventPublisher.subscribe(election, publisher);
	}

	private static String describeDefault(Environment environment) {
		Provider provider = GrpcScaleClusterProperties.effectiveProvider(environment);
		if (provider == Provider.RAFT) {
			return "raft, since grpc.scale.cluster.nodes lists other nodes as id=host:port";
		}
		return (provider == Provider.MEMORY) ? "memory, one election per JVM, since discovery is not shared"
				: "the discovery backend, " + provider.name().toLowerCase(java.util.Locale.ROOT);
	}

}
