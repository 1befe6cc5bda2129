package dev.grpcscale.autoconfigure;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * The services this application registers, bound from {@code grpc.scale.services}. Each feature has a
 * properties class of its own: {@link GrpcScaleDiscoveryProperties} ({@code grpc.scale.service-discovery}),
 * {@link GrpcScaleCircuitBreakerProperties} ({@code grpc.scale.circuit-breaker}),
 * {@link GrpcScaleHealthCheckProperties} ({@code grpc.scale.health-check}), {@link GrpcScaleTracingProperties}
 * ({@code grpc.scale.tracing}) and {@link GrpcScaleClusterProperties} ({@code grpc.scale.cluster}).
 *
 * <p>Validated once, as Boot's binder binds it: the object is a Spring {@link Validator} of its own type,
 * which {@code @ConfigurationProperties} binding applies without any Bean Validation provider. A bad value
 * stops the application with a {@code BindValidationException} that
 * {@link InvalidGrpcScalePropertiesFailureAnalyzer} reports with the key, the value, where it was set and
 * what is expected.
 */
@ConfigurationProperties("grpc.scale")
public class GrpcScaleProperties implements Validator, EnvironmentAware {

	/**
	 * The services this application registers with discovery once its gRPC server has started. When
	 * empty, one service named after 'spring.application.name' on the server's bound port is registered.
	 */
	private List<Service> services = new ArrayList<>();

	private @Nullable Environment environment;

	@Override
	public void setEnvironment(Environment environment) {
		this.environment = environment;
	}

	/** Validates this type only: the binder calls {@link #validate} once, on the whole tree. */
	@Override
	public boolean supports(Class<?> type) {
		return GrpcScaleProperties.class == type;
	}

	/**
	 * Validates the bound values, reporting every invalid one to {@code errors} as a field error named
	 * after its key relative to {@code grpc.scale}, with what is expected as its only argument.
	 */
	@Override
	public void validate(Object target, Errors errors) {
		GrpcScalePropertiesValidator.validate((GrpcScaleProperties) target,
				GrpcScalePropertiesValidator.context(this.environment, getClass().getClassLoader(), errors));
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
