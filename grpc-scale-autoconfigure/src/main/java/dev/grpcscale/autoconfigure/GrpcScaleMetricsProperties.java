package dev.grpcscale.autoconfigure;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * grpc-scale's Micrometer meters, bound from {@code grpc.scale.metrics.*}.
 *
 * <p>Validated once, as Boot's binder binds it ({@link SelfValidatingProperties}).
 */
@ConfigurationProperties("grpc.scale.metrics")
public class GrpcScaleMetricsProperties extends SelfValidatingProperties {

	/**
	 * Whether grpc-scale binds its meters (circuit breakers, discovery, health, cluster) to the
	 * application's MeterRegistry. The grpc.scale.operation observation follows the observation registry
	 * and grpc.scale.tracing.enabled instead.
	 */
	private boolean enabled = true;

	/**
	 * How often the discovery and health gauges (instances per service and state, backend reachability)
	 * are recounted; a service that left discovery loses its series at the next recount.
	 */
	private Duration refreshInterval = Duration.ofSeconds(10);

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Duration getRefreshInterval() {
		return this.refreshInterval;
	}

	public void setRefreshInterval(Duration refreshInterval) {
		this.refreshInterval = refreshInterval;
	}

	@Override
	void validateWith(GrpcScalePropertiesValidator validator) {
		GrpcScalePropertiesValidator.validate(this, validator);
	}

}
