package dev.grpcscale.autoconfigure;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

	private static final Pattern BUILDER_MESSAGE = Pattern.compile("(\\w+): '?(.*?)'? \\(expected: (.*)\\)",
			Pattern.DOTALL);

	/**
	 * Translates the rejection of a core builder, whose messages read {@code field: value (expected: ...)},
	 * into the property that set the field.
	 * @param prefix the properties' prefix, for example {@code grpc.scale.service-discovery.etcd.}
	 * @param properties builder field name to property name relative to the prefix
	 * @param rejection what the builder threw
	 * @return the exception to throw
	 */
	public static InvalidGrpcScalePropertiesException fromBuilder(String prefix, Map<String, String> properties,
			IllegalArgumentException rejection) {
		String message = String.valueOf(rejection.getMessage());
		Matcher matcher = BUILDER_MESSAGE.matcher(message);
		Problem problem = matcher.matches()
				? new Problem(prefix + properties.getOrDefault(matcher.group(1), matcher.group(1)), matcher.group(2),
						matcher.group(3))
				: new Problem(prefix.replaceAll("\\.$", ""), "", message);
		InvalidGrpcScalePropertiesException exception = new InvalidGrpcScalePropertiesException(List.of(problem));
		exception.initCause(rejection);
		return exception;
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
