package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;

import dev.grpcscale.discovery.DiscoveryStatus;

/**
 * The {@link DiscoveryStatus} of an {@link EtcdServiceRegistry}, as {@link EtcdServiceRegistry#status()}
 * describes it: reachability as the {@link EtcdConnectionState} last saw it, found out with one count-only read
 * of the namespace while nothing was sent yet, and the details of the cache, the registrations and the lease.
 */
final class EtcdRegistryStatus {

	private final Client client;

	private final EtcdKeys keys;

	private final List<String> endpoints;

	private final String namespace;

	private final Duration requestTimeout;

	private final EtcdConnectionState state;

	private final EtcdLeasedRegistrations registrations;

	private final EtcdDiscoveryCache cache;

	EtcdRegistryStatus(Client client, String namespace, List<String> endpoints, Duration requestTimeout,
			EtcdConnectionState state, EtcdLeasedRegistrations registrations, EtcdDiscoveryCache cache) {
		this.client = client;
		this.keys = new EtcdKeys(namespace);
		this.endpoints = endpoints;
		this.namespace = namespace;
		this.requestTimeout = requestTimeout;
		this.state = state;
		this.registrations = registrations;
		this.cache = cache;
	}

	/**
	 * The status now.
	 * @param closed whether the registry is closed: then nothing is sent to find out
	 * @return the status
	 */
	DiscoveryStatus report(boolean closed) {
		if (!this.state.seen() && !closed) {
			probe();
		}
		Map<String, Object> details = new LinkedHashMap<>();
		details.put("endpoints", this.endpoints);
		details.put("namespace", this.namespace);
		details.put("services", this.cache.serviceCount());
		details.put("instances", this.cache.instanceCount());
		details.put("registered", this.registrations.ownedCount());
		long lease = this.registrations.leaseId();
		details.put("leaseId", (lease != 0) ? Long.toHexString(lease) : "");
		details.put("revision", this.cache.revision());
		boolean reachable = this.state.reachable();
		String lastError = this.state.lastError();
		if (!reachable && lastError != null) {
			details.put("lastError", lastError);
		}
		return new DiscoveryStatus("etcd", reachable, details);
	}

	private void probe() {
		try {
			EtcdRequests.await(this.client.getKVClient()
				.get(this.keys.servicesPrefix(), GetOption.builder().isPrefix(true).withCountOnly(true).build()),
					this.requestTimeout, "status probe");
			this.state.succeeded();
		}
		catch (RuntimeException ex) {
			this.state.failed(ex);
		}
	}

}
