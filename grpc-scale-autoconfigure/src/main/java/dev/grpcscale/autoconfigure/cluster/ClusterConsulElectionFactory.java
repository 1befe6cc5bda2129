package dev.grpcscale.autoconfigure.cluster;

import java.util.HashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.core.env.Environment;

import dev.grpcscale.autoconfigure.ConsulConnections;
import dev.grpcscale.autoconfigure.GrpcScaleProperties;
import dev.grpcscale.autoconfigure.InvalidGrpcScalePropertiesException;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.consul.ConsulLeaderElection;
import dev.grpcscale.consul.ConsulClient;

/**
 * Builds the {@link ConsulLeaderElection} of provider {@code consul} from {@code grpc.scale.cluster.consul.*},
 * each unset key taking {@code grpc.scale.service-discovery.consul.<key>}; a value the builder rejects, or a
 * trust store that cannot be read, stops start-up naming the {@code grpc.scale.cluster.consul.*} property. The
 * token and the trust store password are never part of a message.
 */
final class ClusterConsulElectionFactory {

	static final String PREFIX = "grpc.scale.cluster.consul.";

	/** Namespace of Consul elections: their keys are {@code grpc-scale/cluster/<election name>/}. */
	static final String NAMESPACE = "grpc-scale";

	/** Builder setting to property, relative to the prefix. */
	private static final Map<String, String> PROPERTIES;

	static {
		Map<String, String> properties = new HashMap<>(ConsulConnections.PROPERTIES);
		properties.put("lockDelay", "lock-delay");
		PROPERTIES = Map.copyOf(properties);
	}

	private ClusterConsulElectionFactory() {
	}

	/**
	 * The cluster's Consul settings: {@code grpc.scale.service-discovery.consul.*}, overridden key by key by
	 * {@code grpc.scale.cluster.consul.*}.
	 * @param environment where the properties are read
	 * @return the effective settings
	 */
	static GrpcScaleProperties.ClusterConsul effectiveSettings(Environment environment) {
		return ClusterPropertyMapper.backendSettings(environment, "consul", new GrpcScaleProperties.ClusterConsul(),
				GrpcScaleProperties.ConsulConnection.class);
	}

	/**
	 * The election on the Consul agent of the effective settings, not joined yet.
	 * @param consul the settings, from {@link #effectiveSettings(Environment)}
	 * @param settings the election settings
	 * @param sharedClient the application's client to run on, or {@code null} for a client of the election's own
	 * on the connection settings of {@code consul}, closed with it
	 * @return the election
	 * @throws InvalidGrpcScalePropertiesException if a value is rejected
	 */
	static ConsulLeaderElection create(GrpcScaleProperties.ClusterConsul consul, LeaderElectionSettings settings,
			@Nullable ConsulClient sharedClient) {
		try {
			ConsulLeaderElection.Builder builder = ConsulLeaderElection.builder();
			if (sharedClient != null) {
				builder.client(sharedClient);
			}
			else {
				builder.connection(ConsulConnections.connection(consul));
			}
			PropertyMapper.get().from(consul::getLockDelay).to(builder::lockDelay);
			return builder.settings(settings).build();
		}
		catch (IllegalArgumentException ex) {
			throw InvalidGrpcScalePropertiesException.fromBuilder(PREFIX, PROPERTIES, ex);
		}
	}

}
