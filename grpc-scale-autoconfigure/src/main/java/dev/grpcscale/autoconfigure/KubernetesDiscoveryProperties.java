package dev.grpcscale.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Discovery from Kubernetes EndpointSlices, bound from {@code grpc.scale.service-discovery.kubernetes.*}: the
 * instances of a service are the ready endpoints of the Kubernetes Service of the same name in
 * {@code namespace}, unless {@code services.<name>} names another.
 */
public class KubernetesDiscoveryProperties {

	/** Namespace of the Kubernetes Services looked up. Default: the client's namespace, in a pod its own. */
	private @Nullable String namespace;

	/** Name of the Service port that carries gRPC; a Service with a single port uses that one whatever its name. */
	private String portName = "grpc";

	/** How long the first read of a service waits for the first list of its EndpointSlices. */
	private Duration requestTimeout = Duration.ofSeconds(5);

	/**
	 * How long a service that this application reads but nothing watches stays followed after its last read;
	 * then its informer is stopped and its next read starts one again.
	 */
	private Duration serviceIdleTimeout = Duration.ofMinutes(5);

	/**
	 * Kubernetes Service (and namespace) of a grpc-scale service whose Service has another name or lives in
	 * another namespace, by grpc-scale service name.
	 */
	private Map<String, ServiceMapping> services = new LinkedHashMap<>();

	public @Nullable String getNamespace() {
		return this.namespace;
	}

	public void setNamespace(@Nullable String namespace) {
		this.namespace = namespace;
	}

	public String getPortName() {
		return this.portName;
	}

	public void setPortName(String portName) {
		this.portName = portName;
	}

	public Duration getRequestTimeout() {
		return this.requestTimeout;
	}

	public void setRequestTimeout(Duration requestTimeout) {
		this.requestTimeout = requestTimeout;
	}

	public Duration getServiceIdleTimeout() {
		return this.serviceIdleTimeout;
	}

	public void setServiceIdleTimeout(Duration serviceIdleTimeout) {
		this.serviceIdleTimeout = serviceIdleTimeout;
	}

	public Map<String, ServiceMapping> getServices() {
		return this.services;
	}

	public void setServices(Map<String, ServiceMapping> services) {
		this.services = services;
	}

	/** Where one grpc-scale service's instances are found. */
	public static class ServiceMapping {

		/** Name of the Kubernetes Service. Default: the grpc-scale service name. */
		private @Nullable String serviceName;

		/** Namespace of the Kubernetes Service. Default: grpc.scale.service-discovery.kubernetes.namespace. */
		private @Nullable String namespace;

		public @Nullable String getServiceName() {
			return this.serviceName;
		}

		public void setServiceName(@Nullable String serviceName) {
			this.serviceName = serviceName;
		}

		public @Nullable String getNamespace() {
			return this.namespace;
		}

		public void setNamespace(@Nullable String namespace) {
			this.namespace = namespace;
		}

	}

}
