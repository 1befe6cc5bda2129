package dev.grpcscale.autoconfigure;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The services this application registers, bound from {@code grpc.scale.services}. Each feature has a
 * properties class of its own: {@link GrpcScaleDiscoveryProperties} ({@code grpc.scale.service-discovery}),
 * {@link GrpcScaleCircuitBreakerProperties} ({@code grpc.scale.circuit-breaker}),
 * {@link GrpcScaleHealthCheckProperties} ({@code grpc.scale.health-check}), {@link GrpcScaleTracingProperties}
 * ({@code grpc.scale.tracing}) and {@link GrpcScaleClusterProperties} ({@code grpc.scale.cluster}).
 *
 * <p>Validated once, as Boot's binder binds it ({@link SelfValidatingProperties}).
 */
@ConfigurationProperties("grpc.scale")
public class GrpcScaleProperties extends SelfValidatingProperties {

	/**
	 * The services this application registers with discovery once its gRPC server has started. When
	 * empty, one service named after 'spring.application.name' on the server's bound port is registered.
	 */
	private List<Service> services = new ArrayList<>();

	@Override
	void validateWith(GrpcScalePropertiesValidator validator) {
		GrpcScalePropertiesValidator.validate(this, validator);
	}

	public List<Service> getServices() {
		return this.services;
	}

	public void setServices(List<Service> services) {
		this.services = services;
	}

	/** One service to register with discovery. */
	public static class Service {

		/** Service name clients look up, for example 'product-service'. Defaults to 'spring.application.name'. */
		private @Nullable String name;

		/** The gRPC package the service implements, recorded in the instance metadata under 'package'. */
		private @Nullable String packageName;

		/**
		 * Host clients dial. Defaults to the address the gRPC server is bound to, or this machine's
		 * address when it is bound to all interfaces.
		 */
		private @Nullable String host;

		/** Port clients dial, 0..65535. 0 or unset means the gRPC server's bound port. */
		private int port;

		/** Whether to register this service. */
		private boolean enabled = true;

		/** Metadata stored with the registration. */
		private Map<String, String> metadata = new LinkedHashMap<>();

		public @Nullable String getName() {
			return this.name;
		}

		public void setName(@Nullable String name) {
			this.name = name;
		}

		public @Nullable String getPackage() {
			return this.packageName;
		}

		public void setPackage(@Nullable String packageName) {
			this.packageName = packageName;
		}

		public @Nullable String getHost() {
			return this.host;
		}

		public void setHost(@Nullable String host) {
			this.host = host;
		}

		public int getPort() {
			return this.port;
		}

		public void setPort(int port) {
			this.port = port;
		}

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Map<String, String> getMetadata() {
			return this.metadata;
		}

		public void setMetadata(Map<String, String> metadata) {
			this.metadata = metadata;
		}

	}

}
