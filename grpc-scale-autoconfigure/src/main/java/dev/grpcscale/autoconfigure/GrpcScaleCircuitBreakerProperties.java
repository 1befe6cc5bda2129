package dev.grpcscale.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Circuit breaking of outgoing calls and of executeWithEnhancements operations, bound from
 * {@code grpc.scale.circuit-breaker.*} and mapped onto resilience4j {@code CircuitBreakerConfig}s.
 *
 * <p>Validated once, as Boot's binder binds it ({@link SelfValidatingProperties}).
 */
@ConfigurationProperties("grpc.scale.circuit-breaker")
public class GrpcScaleCircuitBreakerProperties extends SelfValidatingProperties {

	/** Whether circuit breaking is enabled. */
	private boolean enabled = true;

	/** Number of failed calls inside the monitoring period that opens the circuit. */
	private int failureThreshold = 5;

	/** How long an open circuit rejects calls before letting trial calls through (half-open). */
	private Duration recoveryTimeout = Duration.ofSeconds(30);

	/** The sliding window in which failures are counted. */
	private Duration monitoringPeriod = Duration.ofSeconds(60);

	/** gRPC status code names that count as failures, for example UNAVAILABLE. */
	private List<String> expectedErrors = new ArrayList<>(List.of("UNAVAILABLE", "DEADLINE_EXCEEDED"));

	/**
	 * Failure rate in percent (0 < rate <= 100) that opens the circuit once at least failure-threshold
	 * calls were made in the monitoring period. Unset: the circuit opens on failure-threshold failed
	 * calls, whatever the rate.
	 */
	private @Nullable Float failureRateThreshold;

	/** Full gRPC method names ('package.Service/Method', or 'package.Service/*') whose calls never count. */
	private List<String> excludedMethods = new ArrayList<>();

	/**
	 * Names of Spring gRPC client channels (spring.grpc.client.channel.<name>) to guard although their
	 * target is not 'discovery:///'; every 'discovery:///' channel is guarded anyway.
	 */
	private List<String> channels = new ArrayList<>();

	/**
	 * How long the breaker of an instance that left discovery (no channel balances over it any more) is kept,
	 * with its state and meters, before it is removed: an instance back within that time finds its breaker
	 * as it left it, one back later gets a fresh one. 0 removes it at once.
	 */
	private Duration instanceRetention = Duration.ofMinutes(5);

	/**
	 * Settings of one breaker, by name: a service name ('product-service'), an instance
	 * ('product-service/<instanceId>'), or an executeWithEnhancements operation name. Unset keys
	 * inherit the defaults above; an instance inherits its service's entry.
	 */
	private Map<String, Instance> instances = new LinkedHashMap<>();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public int getFailureThreshold() {
		return this.failureThreshold;
	}

	public void setFailureThreshold(int failureThreshold) {
		this.failureThreshold = failureThreshold;
	}

	public Duration getRecoveryTimeout() {
		return this.recoveryTimeout;
	}

	public void setRecoveryTimeout(Duration recoveryTimeout) {
		this.recoveryTimeout = recoveryTimeout;
	}

	public Duration getMonitoringPeriod() {
		return this.monitoringPeriod;
	}

	public void setMonitoringPeriod(Duration monitoringPeriod) {
		this.monitoringPeriod = monitoringPeriod;
	}

	public List<String> getExpectedErrors() {
		return this.expectedErrors;
	}

	public void setExpectedErrors(List<String> expectedErrors) {
		this.expectedErrors = expectedErrors;
	}

	public @Nullable Float getFailureRateThreshold() {
		return this.failureRateThreshold;
	}

	public void setFailureRateThreshold(@Nullable Float failureRateThreshold) {
		this.failureRateThreshold = failureRateThreshold;
	}

	public List<String> getExcludedMethods() {
		return this.excludedMethods;
	}

	public void setExcludedMethods(List<String> excludedMethods) {
		this.excludedMethods = excludedMethods;
	}

	public List<String> getChannels() {
		return this.channels;
	}

	public void setChannels(List<String> channels) {
		this.channels = channels;
	}

	public Duration getInstanceRetention() {
		return this.instanceRetention;
	}

	public void setInstanceRetention(Duration instanceRetention) {
		this.instanceRetention = instanceRetention;
	}

	public Map<String, Instance> getInstances() {
		return this.instances;
	}

	public void setInstances(Map<String, Instance> instances) {
		this.instances = instances;
	}

	@Override
	void validateWith(GrpcScalePropertiesValidator validator) {
		GrpcScalePropertiesValidator.validate(this, validator);
	}

	/** Overrides for one breaker; an unset key keeps the inherited value. */
	public static class Instance {

		/** Number of failed calls inside the monitoring period that opens this circuit. */
		private @Nullable Integer failureThreshold;

		/** How long this circuit stays open before trial calls. */
		private @Nullable Duration recoveryTimeout;

		/** The sliding window in which this breaker counts failures. */
		private @Nullable Duration monitoringPeriod;

		/** gRPC status code names that count as failures for this breaker. */
		private @Nullable List<String> expectedErrors;

		/** Failure rate in percent that opens this circuit; see the default's description. */
		private @Nullable Float failureRateThreshold;

		public @Nullable Integer getFailureThreshold() {
			return this.failureThreshold;
		}

		public void setFailureThreshold(@Nullable Integer failureThreshold) {
			this.failureThreshold = failureThreshold;
		}

		public @Nullable Duration getRecoveryTimeout() {
			return this.recoveryTimeout;
		}

		public void setRecoveryTimeout(@Nullable Duration recoveryTimeout) {
			this.recoveryTimeout = recoveryTimeout;
		}

		public @Nullable Duration getMonitoringPeriod() {
			return this.monitoringPeriod;
		}

		public void setMonitoringPeriod(@Nullable Duration monitoringPeriod) {
			this.monitoringPeriod = monitoringPeriod;
		}

		public @Nullable List<String> getExpectedErrors() {
			return this.expectedErrors;
		}

		public void setExpectedErrors(@Nullable List<String> expectedErrors) {
			this.expectedErrors = expectedErrors;
		}

		public @Nullable Float getFailureRateThreshold() {
			return this.failureRateThreshold;
		}

		public void setFailureRateThreshold(@Nullable Float failureRateThreshold) {
			this.failureRateThreshold = failureRateThreshold;
		}

	}

}
