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
	 * Whether grpc-scale binds its meters (circuit breakers, discovery, health, cluster, and the
	 * grpc.scale.operation timer of executeWithEnhancements on the timer path) to the application's
	 * MeterRegistry. The observation path of grpc.scale.operation follows the observation registry and
	 * grpc.scale.tracing.enabled instead.
	 */
	private boolean enabled = true;

	/**
	 * How executeWithEnhancements records its grpc.scale.operation meter: 'auto' takes the observation
	 * path when a tracer makes spans (a micrometer-tracing Tracer bean other than the no-op one, and
	 * grpc.scale.tracing.enabled) and the timer path otherwise; 'observation' always records an
	 * observation (spans, the meter handler's timer and long-task timer, the application's own
	 * ObservationHandlers); 'timer' always records a timer directly (same name and tags, several times
	 * cheaper, no span, no grpc.scale.operation.active).
	 */
	private OperationMeter operationMeter = OperationMeter.AUTO;

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

	public OperationMeter getOperationMeter() {
		return this.operationMeter;
	}

	public void setOperationMeter(OperationMeter operationMeter) {
		this.operationMeter = operationMeter;
	}

	public Duration getRefreshInterval() {
		return this.refreshInterval;
	}

	public void setRefreshInterval(Duration refreshInterval) {
		this.refreshInterval = refreshInterval;
	}

	/** How the {@code grpc.scale.operation} meter of {@code executeWithEnhancements} is recorded. */
	public enum OperationMeter {

		/** An observation when a tracer makes spans, else a timer. */
		AUTO,

		/** Always an observation (Micrometer's meter handler then records the timer). */
		OBSERVATION,

		/** Always a timer recorded directly, with no observation and no span. */
		TIMER

	}

	@Override
	void validateWith(GrpcScalePropertiesValidator validator) {
		GrpcScalePropertiesValidator.validate(this, validator);
	}

}
