package dev.grpcscale.autoconfigure;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.context.properties.bind.validation.ValidationErrors;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.origin.Origin;
import org.springframework.core.Ordered;
import org.springframework.core.convert.ConversionFailedException;
import org.springframework.validation.FieldError;
import org.springframework.validation.ObjectError;

/**
 * Reports invalid {@code grpc.scale.*} values found by Boot's binder: each key, its value, where it was set
 * (file and line, or property source) and what is expected. It covers the rules of
 * {@link GrpcScaleProperties} (a {@link BindValidationException}) and values that do not convert, such as
 * an unknown provider (a {@link BindException}, listing the valid values). It runs before Boot's own
 * binding analyzers, which report the same failures in more general words.
 */
public final class InvalidGrpcScalePropertiesFailureAnalyzer implements FailureAnalyzer, Ordered {

	private static final String ROOT = "grpc.scale";

	private static final String ACTION = "Update the application's configuration (application.yml, environment "
			+ "variables or command-line arguments) so that every value above is as expected. "
			+ "See docs/configuration.md for every grpc.scale.* property.";

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	@Override
	public @Nullable FailureAnalysis analyze(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof BindValidationException validation && isOurs(validation.getValidationErrors())) {
				return analysis(problems(validation.getValidationErrors()), failure);
			}
			if (cause instanceof BindException bind && isUnder(bind.getName())) {
				String problem = conversionProblem(bind);
				if (problem != null) {
					return analysis(List.of(problem), failure);
				}
			}
		}
		return null;
	}

	private static boolean isOurs(ValidationErrors errors) {
		return errors.getAllErrors()
			.stream()
			.anyMatch((error) -> Arrays.asList(nonNull(error.getCodes()))
				.contains(PropertyProblems.ERROR_CODE));
	}

	private static boolean isUnder(ConfigurationPropertyName name) {
		ConfigurationPropertyName root = ConfigurationPropertyName.of(ROOT);
		return root.equals(name) || root.isAncestorOf(name);
	}

	private static List<String> problems(ValidationErrors errors) {
		List<String> problems = new ArrayList<>();
		for (ObjectError error : errors.getAllErrors()) {
			Object[] arguments = error.getArguments();
			String expected = (arguments != null && arguments.length > 0) ? String.valueOf(arguments[0])
					: String.valueOf(error.getDefaultMessage());
			if (error instanceof FieldError field) {
				String key = errors.getName() + "." + field.getField();
				Origin origin = Origin.from(field);
				if (origin == null) {
					origin = origin(key, errors.getBoundProperties());
				}
				problems.add(problem(key, String.valueOf(field.getRejectedValue()), origin, expected));
			}
			else {
				problems.add(String.format("    %s", error.getDefaultMessage()));
			}
		}
		return problems;
	}

	/** The origin of a key, or of the list it is an element of ({@code a.b[1]} set as {@code a.b=x,y}). */
	private static @Nullable Origin origin(String key, Set<ConfigurationProperty> bound) {
		ConfigurationPropertyName name = ConfigurationPropertyName.ofIfValid(key);
		while (name != null && !name.isEmpty()) {
			for (ConfigurationProperty property : bound) {
				if (property.getName().equals(name)) {
					return property.getOrigin();
				}
			}
			name = name.isLastElementIndexed() ? name.getParent() : null;
		}
		return null;
	}

	private static @Nullable String conversionProblem(BindException bind) {
		Throwable cause = bind.getCause();
		if (!(cause instanceof ConversionFailedException conversion) || conversion.getTargetType() == null) {
			return null;
		}
		Class<?> type = conversion.getTargetType().getType();
		String expected;
		if (type.isEnum()) {
			expected = "one of " + Arrays.stream(type.getEnumConstants())
				.map((constant) -> ((Enum<?>) constant).name().toLowerCase(Locale.ROOT).replace('_', '-'))
				.collect(Collectors.joining(", "));
		}
		else {
			expected = "a value of type " + type.getSimpleName()
					+ (java.time.Duration.class == type ? ", for example 500ms, 5s or 1m" : "");
		}
		ConfigurationProperty property = bind.getProperty();
		String value = (property != null) ? String.valueOf(property.getValue())
				: String.valueOf(conversion.getValue());
		return problem(bind.getName().toString(), value, (property != null) ? property.getOrigin() : null, expected);
	}

	private static String problem(String key, String value, @Nullable Origin origin, String expected) {
		StringBuilder problem = new StringBuilder();
		problem.append(String.format("    Property: %s%n    Value: '%s'%n", key, value));
		if (origin != null) {
			problem.append(String.format("    Origin: %s%n", origin));
		}
		problem.append(String.format("    Expected: %s", expected));
		return problem.toString();
	}

	private static FailureAnalysis analysis(List<String> problems, Throwable failure) {
		String description = String.format("Invalid grpc-scale configuration:%n%n%s%n",
				String.join(String.format("%n%n"), problems));
		return new FailureAnalysis(description, ACTION, failure);
	}

	private static String[] nonNull(String @Nullable [] codes) {
		return (codes != null) ? codes : new String[0];
	}

}
