package dev.grpcscale.autoconfigure.cluster;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.GrpcScaleProperties;
import dev.grpcscale.autoconfigure.GrpcServerAddress;
import dev.grpcscale.cluster.InMemoryLeaderElection;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.consul.ConsulLeaderElection;
import dev.grpcscale.cluster.etcd.EtcdLeaderElection;

/**
 * Auto-configuration of clustering and leader election: a {@link LeaderElection} on the backend named by
 * {@code grpc.scale.cluster.provider} ({@code memory}, {@code etcd} with {@code io.etcd:jetcd-core} on the
 * classpath, or {@code consul} with Jackson 3 on the classpath), joined and resigned by the application's
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
 * {@code grpc-scale/cluster/<election>/}.
 */
@AutoConfiguration(before = GrpcScaleAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "grpc.scale.cluster.enabled", matchIfMissing = true)
@EnableConfigurationProperties(GrpcScaleProperties.class)
public final class GrpcScaleClusterAutoConfiguration {

	/** Namespace of memory elections: their JVM-wide group is {@code grpc-scale/<election name>}. */
	static final String MEMORY_NAMESPACE = "grpc-scale";

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(name = "grpc.scale.cluster.provider", havingValue = "memory", matchIfMissing = true)
	static class MemoryClusterConfiguration {

		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean(LeaderElection.class)
		InMemoryLeaderElection inMemoryLeaderElection(GrpcScaleProperties properties, GrpcServerAddress serverAddress,
				Environment environment) {
			LeaderElectionSettings settings = ClusterPropertyMapper.settings(properties.getCluster(), serverAddress,
					MEMORY_NAMESPACE, "provider", environment.getProperty("spring.application.name"));
			return InMemoryLeaderElection.shared(settings);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.etcd.jetcd.Client")
	@ConditionalOnProperty(name = "grpc.scale.cluster.provider", havingValue = "etcd")
	static class EtcdClusterConfiguration {

		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean({ LeaderElection.class, ClusterEtcdClient.class })
		ClusterEtcdClient clusterEtcdClient(Environment environment) {
			return ClusterEtcdClient.create(ClusterEtcdClient.effectiveSettings(environment));
		}

		/** Destroyed before the {@link ClusterEtcdClient} it depends on, so it leaves while the client is open. */
		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean(LeaderElection.class)
		EtcdLeaderElection etcdLeaderElection(ClusterEtcdClient etcd, GrpcScaleProperties properties,
				GrpcServerAddress serverAddress, Environment environment) {
			LeaderElectionSettings settings = ClusterPropertyMapper.settings(properties.getCluster(), serverAddress,
					etcd.namespace(), "etcd.namespace", environment.getProperty("spring.application.name"));
			return EtcdLeaderElection.create(etcd.client(), settings);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "tools.jackson.databind.ObjectMapper")
	@ConditionalOnProperty(name = "grpc.scale.cluster.provider", havingValue = "consul")
	static class ConsulClusterConfiguration {

		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean(LeaderElection.class)
		ConsulLeaderElection consulLeaderElection(GrpcScaleProperties properties, GrpcServerAddress serverAddress,
				Environment environment) {
			LeaderElectionSettings settings = ClusterPropertyMapper.settings(properties.getCluster(), serverAddress,
					ClusterConsulElectionFactory.NAMESPACE, "provider",
					environment.getProperty("spring.application.name"));
			return ClusterConsulElectionFactory.create(ClusterConsulElectionFactory.effectiveSettings(environment),
					settings);
		}

	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	@ConditionalOnBean(LeaderElection.class)
	LeadershipEventPublisher leadershipEventPublisher(LeaderElection election, ApplicationEventPublisher publisher) {
		return LeadershipEventPublisher.subscribe(election, publisher);
	}

}
