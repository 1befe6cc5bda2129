package dev.grpcscale.autoconfigure.cluster;

import io.etcd.jetcd.Client;
import org.springframework.core.env.Environment;

import dev.grpcscale.autoconfigure.EtcdConnections;
import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;

/**
 * The jetcd {@link Client} the etcd cluster provider runs on, owned by the application context: it is
 * closed after the election that uses it. Define a bean of this type to give the election a client of your
 * own.
 */
public final class ClusterEtcdClient implements AutoCloseable {

	static final String PREFIX = "grpc.scale.cluster.etcd.";

	private final Client client;

	private final String namespace;

	/**
	 * Wraps a client.
	 * @param client the client; closed by {@link #close()}
	 * @param namespace the etcd key prefix elections live under, {@code <namespace>/cluster/<election>/}
	 */
	public ClusterEtcdClient(Client client, String namespace) {
		this.client = client;
		this.namespace = namespace;
	}

	/**
	 * The etcd settings of the cluster: {@code grpc.scale.service-discovery.etcd.*}, overridden key by key
	 * by {@code grpc.scale.cluster.etcd.*}.
	 * @param environment where the properties are read
	 * @return the effective settings
	 */
	static GrpcScaleDiscoveryProperties.EtcdConnection effectiveSettings(Environment environment) {
		return ClusterPropertyMapper.backendSettings(environment, "etcd", new GrpcScaleDiscoveryProperties.EtcdConnection(),
				GrpcScaleDiscoveryProperties.EtcdConnection.class);
	}

	/**
	 * Connects to the etcd of the effective settings.
	 * @param etcd the settings, from {@link #effectiveSettings(Environment)}
	 * @return the client
	 */
	static ClusterEtcdClient create(GrpcScaleDiscoveryProperties.EtcdConnection etcd) {
		return new ClusterEtcdClient(EtcdConnections.connection(etcd).build(), etcd.getNamespace());
	}

	/** The jetcd client. */
	public Client client() {
		return this.client;
	}

	/** The etcd key prefix elections live under. */
	public String namespace() {
		return this.namespace;
	}

	/** Closes the client. */
	@Override
	public void close() {
		this.client.close();
	}

}
