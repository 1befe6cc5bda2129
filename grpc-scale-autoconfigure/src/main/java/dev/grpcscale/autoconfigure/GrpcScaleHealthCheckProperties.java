package dev.grpcscale.autoconfigure;

import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Active health checking of discovered instances, bound from {@code grpc.scale.health-check.*}.
 *
 * <p>Validated once, as Boot's binder binds it ({@link SelfValidatingProperties}).
 */
@ConfigurationProperties("grpc.scale.health-check")
public class GrpcScaleHealthCheckProperties extends SelfValidatingProperties {

	/** Whether discovered instances are probed with grpc.health.v1.Health/Check. */
	private boolean enabled = true;

	/** Time between two probes of an instance. */
	private Duration interval = Duration.ofSeconds(30);

	/** Deadline of one probe. */
	private Duration timeout = Duration.ofSeconds(5);

	/** Consecutive failed probes after which an instance is marked down. */
	private int retries = 3;

	/** Health service name probed; '' asks for the whole server. */
	private String endpoint = "";

	/**
	 * Whether this application's own health (and, through Spring Boot's mapping, its gRPC health) turns
	 * DOWN / NOT_SERVING while the discovery backend is unreachable. Off by default: a registry outage
	 * would otherwise take every instance out of rotation at once.
	 */
	private boolean servingRequiresDiscovery;

	private final Panic panic = new Panic();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Duration getInterval() {
		return this.interval;
	}

	public void setInterval(Duration interval) {
		this.interval = interval;
	}

	public Duration getTimeout() {
		return this.timeout;
	}

	public void setTimeout(Duration timeout) {
		this.timeout = timeout;
	}

	public int getRetries() {
		return this.retries;
	}

	public void setRetries(int retries) {
		this.retries = retries;
	}

	public String getEndpoint() {
		return this.endpoint;
	}

	public void setEndpoint(String endpoint) {
		this.endpoint = endpoint;
	}

	public boolean isServingRequiresDiscovery() {
		return this.servingRequiresDiscovery;
	}

	public void setServingRequiresDiscovery(boolean servingRequiresDiscovery) {
		this.servingRequiresDiscovery = servingRequiresDiscovery;
	}

	public Panic getPanic() {
		return this.panic;
	}

	@Override
	void validateWith(GrpcScalePropertiesValidator validator) {
		GrpcScalePropertiesValidator.validate(this, validator);
	}

	/** Panic mode: every instance of a service is used when too few pass their probes. */
	public static class Panic {

		/**
		 * Whether a service whose instances (nearly) all fail their probes keeps all of them rather than
		 * none.
		 */
		private boolean enabled = true;

		/**
		 * Percentage of passing instances at or below which a service is in panic; 0 means only when none
		 * passes.
		 */
		private double threshold = 0.0;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public double getThreshold() {
			return this.threshold;
		}

		public void setThreshold(double threshold) {
			this.threshold = threshold;
		}

	}

}
