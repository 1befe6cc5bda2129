package dev.grpcscale.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * Checks {@code grpc.scale.service-discovery.*}: the provider and its libraries, the memory namespace, the
 * authorities, and the etcd, Consul or Kubernetes backend in use. The etcd and Consul connections are also
 * checked when only the cluster uses that backend, since the cluster's settings take each key they do not
 * set from discovery's. Reports to the shared {@link PropertyProblems}; part of
 * {@link GrpcScalePropertiesValidator}.
 */
final class DiscoveryPropertiesChecker {

	private static final Duration MAX_BLOCKING_QUERY_WAIT = Duration.ofMinutes(10);

	private static final String DNS_LABEL_EXPECTED = "a DNS label: lower-case letters, digits and '-', at most 63 characters";

	private final PropertyProblems problems;

	private final BackendClientPropertiesChecker clients;

	/**
	 * A checker reporting to the given problems.
	 * @param problems where every invalid value is reported
	 * @param clients the checker of the backends' connections
	 */
	DiscoveryPropertiesChecker(PropertyProblems problems, BackendClientPropertiesChecker clients) {
		this.problems = problems;
		this.clients = clients;
	}

	/**
	 * Checks discovery.
	 * @param discovery the bound properties
	 * @param clusterProvider the cluster's effective provider
	 */
	void check(GrpcScaleDiscoveryProperties discovery, GrpcScaleClusterProperties.Provider clusterProvider) {
		String provider = discovery.getProvider().name().toLowerCase(Locale.ROOT);
		this.clients.requireClasses("provider", provider);
		this.problems.notBlank("memory.namespace", discovery.getMemory().getNamespace(), "a non-blank name");
		discovery.getAuthority().forEach((service, authority) -> {
			if (authority == null || authority.isBlank() || authority.chars().anyMatch(Character::isWhitespace)) {
				this.problems.add("authority." + service, authority,
						"a server name such as users.internal, or 'host' for each instance's registered host");
			}
		});
		if (discovery.getProvider() == GrpcScaleDiscoveryProperties.Provider.ETCD
				|| clusterProvider == GrpcScaleClusterProperties.Provider.ETCD) {
			etcd(discovery.getEtcd());
		}
		if (discovery.getProvider() == GrpcScaleDiscoveryProperties.Provider.KUBERNETES) {
			kubernetes("kubernetes.", discovery.getKubernetes());
		}
		if (clusterProvider == GrpcScaleClusterProperties.Provider.CONSUL) {
			this.clients.consulConnection("consul.", discovery.getConsul());
		}
		if (discovery.getProvider() == GrpcScaleDiscoveryProperties.Provider.CONSUL) {
			if (clusterProvider != GrpcScaleClusterProperties.Provider.CONSUL) {
				this.clients.consulConnection("consul.", discovery.getConsul());
			}
			consul(discovery.getConsul());
		}
	}

	private void etcd(GrpcScaleDiscoveryProperties.Etcd etcd) {
		this.clients.etcdConnection("etcd.", etcd);
		Duration ttl = etcd.getLeaseTtl();
		if (ttl == null || ttl.compareTo(Duration.ofSeconds(1)) < 0) {
			this.problems.add("etcd.lease-ttl", ttl, ">= 1s");
		}
		else if (ttl.getNano() != 0) {
			this.problems.add("etcd.lease-ttl", ttl, "whole seconds");
		}
		this.problems.positive("etcd.request-timeout", etcd.getRequestTimeout());
		this.problems.positive("etcd.service-idle-timeout", etcd.getServiceIdleTimeout());
	}

	/** The keys of discovery's own Consul backend, beyond the connection. */
	private void consul(GrpcScaleDiscoveryProperties.Consul consul) {
		this.problems.notBlankWhenSet("consul.datacenter", consul.getDatacenter(), "a datacenter name, or unset");
		this.problems.positive("consul.check-interval", consul.getCheckInterval());
		this.problems.positive("consul.deregister-critical-after", consul.getDeregisterCriticalAfter());
		List<String> tags = consul.getTags();
		for (int i = 0; i < tags.size(); i++) {
			this.problems.notBlank("consul.tags[" + i + "]", tags.get(i), "a non-blank tag");
		}
		Duration wait = consul.getBlockingQueryWait();
		if (wait == null || wait.isZero() || wait.isNegative() || wait.compareTo(MAX_BLOCKING_QUERY_WAIT) > 0) {
			this.problems.add("consul.blocking-query-wait", wait, "> 0 and <= " + MAX_BLOCKING_QUERY_WAIT);
		}
		this.problems.positive("consul.watch-idle-timeout", consul.getWatchIdleTimeout());
	}

	private void kubernetes(String prefix, KubernetesDiscoveryProperties kubernetes) {
		dnsLabel(prefix + "namespace", kubernetes.getNamespace());
		this.problems.notBlank(prefix + "port-name", kubernetes.getPortName(),
				"the name of the Service port that carries gRPC");
		this.problems.positive(prefix + "request-timeout", kubernetes.getRequestTimeout());
		this.problems.positive(prefix + "service-idle-timeout", kubernetes.getServiceIdleTimeout());
		kubernetes.getServices().forEach((service, mapping) -> {
			if (!PropertyProblems.isName(service)) {
				this.problems.add(prefix + "services", service,
						"grpc-scale service names: " + PropertyProblems.NAME_EXPECTED);
			}
			dnsLabel(prefix + "services." + service + ".service-name", mapping.getServiceName());
			dnsLabel(prefix + "services." + service + ".namespace", mapping.getNamespace());
			if (mapping.getServiceName() == null && !PropertyProblems.isDnsLabel(service)) {
				this.problems.add(prefix + "services." + service + ".service-name", null,
						"the Kubernetes Service's name: '" + service + "' is not " + DNS_LABEL_EXPECTED);
			}
		});
	}

	/** A DNS label, or unset. */
	private void dnsLabel(String key, @Nullable String value) {
		if (value != null && !PropertyProblems.isDnsLabel(value)) {
			this.problems.add(key, value, DNS_LABEL_EXPECTED);
		}
	}

}
