package dev.grpcscale.autoconfigure;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One or more {@code grpc.scale.*} values are invalid. Thrown at start-up and turned into a readable
 * report by {@link InvalidGrpcScalePropertiesFailureAnalyzer}.
 */
public class InvalidGrpcScalePropertiesException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	private final List<Problem> problems;

	/**
	 * Creates the exception.
	 * @param problems what is wrong, at least one
	 */
	public InvalidGrpcScalePropertiesException(List<Problem> problems) {
		super(problems.stream().map(Problem::toString).collect(Collectors.joining("; ")));
		this.problems = List.copyOf(problems);
	}

	/** Every invalid value found, in the order of the configuration tree. */
	public List<Problem> getProblems() {
		return this.problems;
	}

	/**
	 * One invalid value.
	 *
	 * @param property the full property name, for example {@code grpc.scale.tracing.sampling-rate}
	 * @param value the bound value, as text
	 * @param expected what a valid value looks like
	 */
	public record Problem(String property, String value, String expected) {

		@Override
		public String toString() {
			return this.property + ": '" + this.value + "' (expected: " + this.expected + ")";
		}

	}

}
