package dev.grpcscale.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Distributed tracing, bound from {@code grpc.scale.tracing.*}; mapped onto Spring Boot's tracing properties
 * by {@code GrpcScaleTracingEnvironmentPostProcessor} before the context starts.
 *
 * <p>Validated once, as Boot's binder binds it: the object is a Spring {@link Validator} of its own type,
 * which {@code @ConfigurationProperties} binding applies without any Bean Validation provider. A bad value
 * stops the application with a {@code BindValidationException} that
 * {@link InvalidGrpcScalePropertiesFailureAnalyzer} reports with the key, the value, where it was set and
 * what is expected.
 */
@ConfigurationProperties("grpc.scale.tracing")
public class GrpcScaleTracingProperties implements Validator, EnvironmentAware, BeanClassLoaderAware {

	private @Nullable Environment environment;

	private @Nullable ClassLoader classLoader;

	/** Whether grpc-scale's own spans (executeWithEnhancements) are recorded. */
	private boolean enabled = true;

	/** Service name in traces. Defaults to 'spring.application.name'. */
	private @Nullable String serviceName;

	/** Fraction of traces sampled, 0.0 to 1.0. */
	private double samplingRate = 0.1;

	/** OTLP endpoint traces are exported to, for example http://localhost:4318/v1/traces (Jaeger's OTLP port). */
	private @Nullable String jaegerEndpoint;

	/** Tags added to every span's resource. */
	private Map<String, String> tags = new LinkedHashMap<>();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public @Nullable String getServiceName() {
		return this.serviceName;
	}

	public void setServiceName(@Nullable String serviceName) {
		this.serviceName = serviceName;
	}

	public double getSamplingRate() {
		return this.samplingRate;
	}

	public void setSamplingRate(double samplingRate) {
		this.samplingRate = samplingRate;
	}

	public @Nullable String getJaegerEndpoint() {
		return this.jaegerEndpoint;
	}

	public void setJaegerEndpoint(@Nullable String jaegerEndpoint) {
		this.jaegerEndpoint = jaegerEndpoint;
	}

	public Map<String, String> getTags() {
		return this.tags;
	}

	public void setTags(Map<String, String> tags) {
		this.tags = tags;
	}

	@Override
	public void setEnvironment(Environment environment) {
		this.environment = environment;
	}

	@Override
	public void setBeanClassLoader(ClassLoader classLoader) {
		this.classLoader = classLoader;
	}

	/** Validates this type only: the binder calls {@link #validate} once, on the whole tree. */
	@Override
	public boolean supports(Class<?> type) {
		return GrpcScaleTracingProperties.class == type;
	}

	/**
	 * Validates the bound values, reporting every invalid one to {@code errors} as a field error named
	 * after its key relative to {@code grpc.scale.tracing}, with what is expected as its only argument.
	 */
	@Override
	public void validate(Object target, Errors errors) {
		ClassLoader loader = (this.classLoader != null) ? this.classLoader : getClass().getClassLoader();
		GrpcScalePropertiesValidator.validate((GrpcScaleTracingProperties) target,
				GrpcScalePropertiesValidator.context(this.environment, loader, errors));
	}

}
