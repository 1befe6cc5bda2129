package dev.grpcscale.autoconfigure.cluster;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.core.env.Environment;
import org.springframework.boot.ssl.SslBundles;

import dev.grpcscale.autoconfigure.ConsulConnections;
import dev.grpcscale.autoconfigure.GrpcScaleClusterProperties;
import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.consul.ConsulLeaderElection;
import dev.grpcscale.consul.ConsulClient;

/**
 * Builds the {@link ConsulLeaderElection} of provider {@code consul} from {@code grpc.scale.cluster.consul.*},
 * each unset key taking {@code grpc.scale.service-discovery.consul.<key>}; both trees were validated when they
 * were bound.
 */
final class ClusterConsulElectionFactory {

	static final String PREFIX = "grpc.scale.cluster.consul.";

	private ClusterConsulElectionFactory() {
	}

	/**
	 * The cluster's Consul settings: {@code grpc.scale.service-discovery.consul.*}, overridden key by key by
	 * {@code grpc.scale.cluster.consul.*}.
	 * @param environment where the properties are read
	 * @return the effective settings
	 */
	static GrpcScaleClusterProperties.Consul effectiveSettings(Environment environment) {
		return ClusterPropertyMapper.backendSettings(environment, "consul", new GrpcScaleClusterProperties.Consul(),
				GrpcScaleDiscoveryProperties.ConsulConnection.class);
	}

	/**
	 * The election on the Consul agent of the effective settings, not joined yet.
	 * @param consul the settings, from {@link #effectiveSettings(Environment)}
	 * @param settings the election settings
	 * @param sharedClient the application's client to run on, or {@code null} for a client of the election's own
	 * on the connection settings of {@code consul}, closed with it
	 * @param sslBundles the application's SSL bundles, for {@code tls.bundle}
	 * @return the election
	 */
	static ConsulLeaderElection create(GrpcScaleClusterProperties.Consul consul, LeaderElectionSettings settings,
			@Nullable ConsulClient sharedClient, @Nullable SslBundles sslBundles) {
		ConsulLeaderElection.Builder builder = ConsulLeaderElection.builder();
		if (sharedClient != null) {
			builder.client(sharedClient);
		}
		else {
			builder.connection(ConsulConnections.connection(consul, sslBundles));
		}
		PropertyMapper.get().from(consul::getLockDelay).to(builder::lockDelay);
		return builder.settings(settings).build();
	}

}
