package dev.grpcscale.autoconfigure.cluster;

import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.core.env.Environment;

import dev.grpcscale.autoconfigure.ConsulConnections;
import dev.grpcscale.autoconfigure.GrpcScaleClusterProperties;
import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.consul.ConsulLeaderElection;

/**
 * Builds the {@link ConsulLeaderElection} of provider {@code consul} from {@code grpc.scale.cluster.consul.*},
 * each unset key taking {@code grpc.scale.service-discovery.consul.<key>}; both trees were validated when they
 * were bound.
 */
final class ClusterConsulElectionFactory {

	static final String PREFIX = "grpc.scale.cluster.consul.";

	/** Namespace of Consul elections: their keys are {@code grpc-scale/cluster/<election name>/}. */
	static final String NAMESPACE = "grpc-scale";

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
	 * @return the election
	 */
	static ConsulLeaderElection create(GrpcScaleClusterProperties.Consul consul, LeaderElectionSettings settings) {
		ConsulLeaderElection.Builder builder = ConsulLeaderElection.builder()
			.connection(ConsulConnections.connection(consul));
		PropertyMapper.get().from(consul::getLockDelay).to(builder::lockDelay);
		return builder.settings(settings).build();
	}

}
