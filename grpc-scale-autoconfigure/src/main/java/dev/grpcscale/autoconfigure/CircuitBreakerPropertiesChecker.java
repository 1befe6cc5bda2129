package dev.grpcscale.autoconfigure;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/**
 * Checks {@code grpc.scale.circuit-breaker.*}: the default breaker settings, those of each
 * {@code instances.<name>} (where unset means inherited), the excluded methods and the instance retention.
 * Reports to the shared {@link PropertyProblems}; part of {@link GrpcScalePropertiesValidator}.
 */
final class CircuitBreakerPropertiesChecker {

	private static final Pattern FULL_METHOD = Pattern.compile("[A-Za-z0-9._-]+/([A-Za-z0-9_]+|\\*)");

	private static final String STATUS_CODES = Arrays.stream(Status.Code.values())
		.filter((code) -> code != Status.Code.OK)
		.map(Enum::name)
		.collect(Collectors.joining(", "));

	private final PropertyProblems problems;

	/**
	 * A checker reporting to the given problems.
	 * @param problems where every invalid value is reported
	 */
	CircuitBreakerPropertiesChecker(PropertyProblems problems) {
		this.problems = problems;
	}

	/**
	 * Checks the circuit breaker properties.
	 * @param breaker the bound properties
	 */
	void check(GrpcScaleCircuitBreakerProperties breaker) {
		breakerSettings("", breaker.getFailureThreshold(), breaker.getRecoveryTimeout(),
				breaker.getMonitoringPeriod(), breaker.getExpectedErrors(), breaker.getFailureRateThreshold());
		List<String> excluded = breaker.getExcludedMethods();
		for (int i = 0; i < excluded.size(); i++) {
			String method = excluded.get(i);
			if (method == null || !FULL_METHOD.matcher(method).matches()) {
				this.problems.add("excluded-methods[" + i + "]", method,
						"a full gRPC method name 'package.Service/Method' or 'package.Service/*'");
			}
		}
		Duration retention = breaker.getInstanceRetention();
		if (retention == null || retention.isNegative()) {
			this.problems.add("instance-retention", retention, ">= 0");
		}
		breaker.getInstances().forEach((name, instance) -> {
			if (name.isBlank()) {
				this.problems.add("instances", name, "a breaker name");
			}
			breakerSettings("instances." + name + ".", instance.getFailureThreshold(), instance.getRecoveryTimeout(),
					instance.getMonitoringPeriod(), instance.getExpectedErrors(), instance.getFailureRateThreshold());
		});
	}

	/** Checks the settings of one breaker; {@code null} stands for an inherited value. */
	private void breakerSettings(String prefix, @Nullable Integer failureThreshold, @Nullable Duration recoveryTimeout,
			@Nullable Duration monitoringPeriod, @Nullable List<String> expectedErrors,
			@Nullable Float failureRateThreshold) {
		if (failureThreshold != null && failureThreshold < 1) {
			this.problems.add(prefix + "failure-threshold", failureThreshold, ">= 1");
		}
		if (recoveryTimeout != null && this.problems.positive(prefix + "recovery-timeout", recoveryTimeout)
				&& recoveryTimeout.getNano() % 1_000_000 != 0) {
			this.problems.add(prefix + "recovery-timeout", recoveryTimeout, "whole milliseconds");
		}
		if (monitoringPeriod != null && this.problems.positive(prefix + "monitoring-period", monitoringPeriod)
				&& (monitoringPeriod.getSeconds() < 1 || monitoringPeriod.getNano() != 0
						|| monitoringPeriod.getSeconds() > Integer.MAX_VALUE)) {
			this.problems.add(prefix + "monitoring-period", monitoringPeriod, "a whole number of seconds, >= 1s");
		}
		if (expectedErrors != null) {
			for (int i = 0; i < expectedErrors.size(); i++) {
				String code = expectedErrors.get(i);
				if (!isStatusCode((code != null) ? code.trim() : null)) {
					this.problems.add(prefix + "expected-errors[" + i + "]", code,
							"a gRPC status code name: " + STATUS_CODES);
				}
			}
		}
		if (failureRateThreshold != null && !(failureRateThreshold > 0.0f && failureRateThreshold <= 100.0f)) {
			this.problems.add(prefix + "failure-rate-threshold", failureRateThreshold,
					"a percentage greater than 0 and at most 100");
		}
	}

	private static boolean isStatusCode(@Nullable String name) {
		if (name == null) {
			return false;
		}
		for (Status.Code code : Status.Code.values()) {
			if (code != Status.Code.OK && code.name().equals(name)) {
				return true;
			}
		}
		return false;
	}

}
