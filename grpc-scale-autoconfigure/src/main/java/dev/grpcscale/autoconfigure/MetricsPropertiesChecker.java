package dev.grpcscale.autoconfigure;

/**
 * Checks {@code grpc.scale.metrics.*}: the gauges' refresh interval. Reports to the shared
 * {@link PropertyProblems}; part of {@link GrpcScalePropertiesValidator}.
 */
final class MetricsPropertiesChecker {

	private final PropertyProblems problems;

	/**
	 * A checker reporting to the given problems.
	 * @param problems where every invalid value is reported
	 */
	MetricsPropertiesChecker(PropertyProblems problems) {
		this.problems = problems;
	}

	/**
	 * Checks the metrics properties.
	 * @param metrics the bound properties
	 */
	void check(GrpcScaleMetricsProperties metrics) {
		this.problems.positive("refresh-interval", metrics.getRefreshInterval());
	}

}
