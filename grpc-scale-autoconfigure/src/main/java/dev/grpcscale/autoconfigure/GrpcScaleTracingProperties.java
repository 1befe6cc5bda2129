package dev.grpcscale.autoconfigure;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Distributed tracing, bound from {@code grpc.scale.tracing.*}; mapped onto Spring Boot's tracing properties
 * by {@code GrpcScaleTracingEnvironmentPostProcessor} before the context starts.
 *
 * <p>Validated once, as Boot's binder binds it ({@link SelfValidatingProperties}).
 */
@ConfigurationProperties("grpc.scale.tracing")
public class GrpcScaleTracingProperties extends SelfValidatingProperties {

	/**
	 * Whether tracing is on. When false, no span is recorded or exported (neither grpc-scale's
	 * executeWithEnhancements spans nor Boot's gRPC spans) and no trace context is propagated.
	 */
	private boolean enabled = true;

	/** Service name in traces. Defaults to 'spring.application.name'. */
	private @Nullable String serviceName;

	/** Fraction of traces sampled, 0.0 to 1.0. */
	private double samplingRate = 0.1;

	/**
	 * OTLP endpoint traces are exported to, for example http://localhost:4318 (Jaeger's OTLP/HTTP port;
	 * '/v1/traces' is added to a URL without a path). Without one, no span is exported.
	 */
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

	/**
	 * The Jaeger endpoint as an OTLP receiver's URL: {@link #getJaegerEndpoint()} trimmed, when it is an
	 * http or https URL (scheme in any case) with a host.
	 * @return the URL, or {@code null} when the endpoint is unset, blank or not such a URL (which the
	 * validation rejects)
	 */
	public @Nullable URI otlpEndpoint() {
		if (this.jaegerEndpoint == null || this.jaegerEndpoint.isBlank()) {
			return null;
		}
		URI uri = PropertyProblems.uri(this.jaegerEndpoint.trim());
		if (uri == null || uri.getHost() == null) {
			return null;
		}
		return ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme())) ? uri : null;
	}

	@Override
	void validateWith(GrpcScalePropertiesValidator validator) {
		GrpcScalePropertiesValidator.validate(this, validator);
	}

}
