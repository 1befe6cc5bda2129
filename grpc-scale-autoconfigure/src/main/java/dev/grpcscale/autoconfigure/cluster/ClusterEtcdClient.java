package dev.grpcscale.autoconfigure.cluster;

import io.etcd.jetcd.Client;
import org.springframework.core.env.Environment;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.ssl.SslBundles;

import dev.grpcscale.autoconfigure.EtcdConnections;
import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;

/**
 * The jetcd {@link Client} the etcd cluster provider runs on, with the namespace its elections live under.
 * It is the application's one etcd client (the {@code Client} bean that discovery's registry uses too, or one a
 * user defined) unless discovery runs on etcd with other connection settings than
 * {@code grpc.scale.cluster.etcd.*} (endpoints, credentials, TLS): then it is a client of the cluster's own,
 * closed by {@link #close()} after the election that uses it. A shared client is never closed here. Define a
 * bean of this type to give the election a client of your own.
 */
public final class ClusterEtcdClient implements AutoCloseable {

	static final String PREFIX = "grpc.scale.cluster.etcd.";

	private final Client client;

	private final String namespace;

	private final boolean owner;

	/**
	 * Wraps a client that this holder owns.
	 * @param client the client; closed by {@link #close()}
	 * @param namespace the etcd key prefix elections live under, {@code <namespace>/cluster/<election>/}
	 */
	public ClusterEtcdClient(Client client, String namespace) {
		this(client, namespace, true);
	}

	private ClusterEtcdClient(Client client, String namespace, boolean owner) {
		this.client = client;
		this.namespace = namespace;
		this.owner = owner;
	}

	/**
	 * Wraps a client that others own, such as the application's {@code Client} bean: {@link #close()} leaves it
	 * open.
	 * @param client the shared client; its owner closes it, after the election
	 * @param namespace the etcd key prefix elections live under, {@code <namespace>/cluster/<election>/}
	 * @return the holder
	 */
	public static ClusterEtcdClient shared(Client client, String namespace) {
		return new ClusterEtcdClient(client, namespace, false);
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
	 * @param sslBundles the application's SSL bundles, for {@code tls.bundle}
	 * @return the client
	 */
	static ClusterEtcdClient create(GrpcScaleDiscoveryProperties.EtcdConnection etcd, @Nullable SslBundles sslBundles) {
		return new ClusterEtcdClient(EtcdConnections.connection(etcd, sslBundles).build(), etcd.getNamespace());
	}

	/** The jetcd client. */
	public Client client() {
		return this.client;
	}

	/** The etcd key prefix elections live under. */
	public String namespace() {
		return this.namespace;
	}

	/** Whether {@link #close()} closes the client: {@code false} for a {@link #shared} one. */
	public boolean ownsClient() {
		return this.owner;
	}

	/** Closes the client if this holder owns it. */
	@Override
	public void close() {
		if (this.owner) {
			this.client.close();
		}
	}

}
