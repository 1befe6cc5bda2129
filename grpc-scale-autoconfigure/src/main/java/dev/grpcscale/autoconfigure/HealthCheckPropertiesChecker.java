package dev.grpcscale.autoconfigure;

/**
 * Checks {@code grpc.scale.health-check.*}: probe interval, timeout and retries, the health endpoint and the
 * panic threshold. Reports to the shared {@link PropertyProblems}; part of
 * {@link GrpcScalePropertiesValidator}.
 */
final class HealthCheckPropertiesChecker {

	private final PropertyProblems problems;

	/**
	 * A checker reporting to the given problems.
	 * @param problems where every invalid value is reported
	 */
	HealthCheckPropertiesChecker(PropertyProblems problems) {
		this.problems = problems;
	}

	/**
	 * Checks the health checking properties.
	 * @param health the bound properties
	 */
	void check(GrpcScaleHealthCheckProperties health) {
		this.problems.positive("interval", health.getInterval());
		this.problems.positive("timeout", health.getTimeout());
		if (health.getRetries() < 1) {
			this.problems.add("retries", health.getRetries(), ">= 1");
		}
		if (health.getEndpoint() == null) {
			this.problems.add("endpoint", null, "a health service name, '' for the whole server");
		}
		this.problems.inRange("panic.threshold", health.getPanic().getThreshold(), 0.0, 100.0,
				"a percentage from 0 to 100");
	}

}
