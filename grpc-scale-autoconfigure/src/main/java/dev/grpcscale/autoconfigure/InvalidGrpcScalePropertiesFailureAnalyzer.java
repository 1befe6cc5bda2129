package dev.grpcscale.autoconfigure;

import java.util.stream.Collectors;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports invalid {@code grpc.scale.*} values: each key, its value and what is expected.
 */
class InvalidGrpcScalePropertiesFailureAnalyzer extends AbstractFailureAnalyzer<InvalidGrpcScalePropertiesException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidGrpcScalePropertiesException cause) {
		String problems = cause.getProblems()
			.stream()
			.map((problem) -> String.format("    Property: %s%n    Value: '%s'%n    Expected: %s", problem.property(),
					problem.value(), problem.expected()))
			.collect(Collectors.joining(String.format("%n%n")));
		String description = String.format("Invalid grpc-scale configuration:%n%n%s%n", problems);
		String action = "Update the application's configuration (application.yml, environment variables or "
				+ "command-line arguments) so that every value above is as expected. "
				+ "See docs/configuration.md for every grpc.scale.* property.";
		return new FailureAnalysis(description, action, cause);
	}

}
