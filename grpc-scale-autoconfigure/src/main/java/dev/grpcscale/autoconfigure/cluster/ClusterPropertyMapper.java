package dev.grpcscale.autoconfigure.cluster;

import java.beans.PropertyDescriptor;
import java.util.Arrays;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.BeanUtils;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

import dev.grpcscale.autoconfigure.GrpcScaleClusterProperties;
import dev.grpcscale.cluster.LeaderElectionSettings;

/**
 * Maps {@code grpc.scale.cluster.*}, validated when it was bound, onto {@link LeaderElectionSettings}.
 */
final class ClusterPropertyMapper {

	static final String PREFIX = "grpc.scale.cluster.";

	/** Name of the election when neither election-name nor spring.application.name is set. */
	static final String DEFAULT_ELECTION_NAME = "default";

	private ClusterPropertyMapper() {
	}

	/**
	 * The settings of this node's election.
	 * @param cluster the cluster properties
	 * @param serverAddress the address to announce when {@code address} is unset (that of the gRPC server)
	 * @param namespace the backend namespace: a group prefix in memory, the key prefix in etcd
	 * @param namespaceProperty the property the namespace comes from, relative to {@link #PREFIX}
	 * @param applicationName {@code spring.application.name}, the default election name
	 * @return the settings
	 */
	static LeaderElectionSettings settings(GrpcScaleClusterProperties cluster, Supplier<String> serverAddress,
			String namespace, String namespaceProperty, @Nullable String applicationName) {
		LeaderElectionSettings.Builder builder = LeaderElectionSettings.builder();
		PropertyMapper map = PropertyMapper.get();
		map.from(cluster::getNodeId).to(builder::nodeId);
		if (cluster.getAddress().isEmpty()) {
			builder.address(serverAddress);
		}
		else {
			builder.address(cluster.getAddress());
		}
		map.from(cluster::getNodes)
			.as((nodes) -> nodes.stream().map(GrpcScaleClusterProperties::nodeId).distinct().toList())
			.to(builder::nodes);
		map.from(cluster::isLeaderElection).to(builder::leaderElection);
		map.from(cluster::getHeartbeatInterval).to(builder::heartbeatInterval);
		map.from(cluster::getElectionTimeout).to(builder::electionTimeout);
		builder.namespace(namespace);
		builder.electionName(electionName(cluster, applicationName));
		return builder.build();
	}

	/**
	 * The settings of a backend shared with discovery: {@code grpc.scale.service-discovery.<backend>.*},
	 * overridden key by key by {@code grpc.scale.cluster.<backend>.*}. Only the keys of {@code shared} are
	 * taken from discovery, so a cluster-only key (the Consul lock delay) never comes from there.
	 * @param <T> the type of the settings
	 * @param environment where the properties are read
	 * @param backend the backend's key, for example {@code etcd}
	 * @param settings a fresh settings object, holding the defaults; bound in place
	 * @param shared the type whose properties discovery and the cluster share
	 * @return {@code settings}
	 */
	static <T> T backendSettings(Environment environment, String backend, T settings, Class<? super T> shared) {
		Binder binder = Binder.get(environment);
		binder.bind("grpc.scale.service-discovery." + backend, Bindable.ofInstance(settings));
		// the binder fills every property of the instance: put the cluster-only ones back to their defaults
		String[] sharedProperties = Arrays.stream(BeanUtils.getPropertyDescriptors(shared))
			.map(PropertyDescriptor::getName)
			.toArray(String[]::new);
		BeanUtils.copyProperties(BeanUtils.instantiateClass(settings.getClass()), settings, sharedProperties);
		binder.bind(PREFIX + backend, Bindable.ofInstance(settings));
		return settings;
	}

	/** {@code election-name}, else {@code spring.application.name}, else {@value #DEFAULT_ELECTION_NAME}. */
	static String electionName(GrpcScaleClusterProperties cluster, @Nullable String applicationName) {
		if (cluster.getElectionName() != null) {
			return cluster.getElectionName();
		}
		return (applicationName != null && !applicationName.isBlank()) ? applicationName : DEFAULT_ELECTION_NAME;
	}

}
