package dev.grpcscale.autoconfigure;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.springframework.validation.BindingResult;
import org.springframework.validation.Errors;
import org.springframework.validation.FieldError;

/**
 * The problems found in one bound grpc-scale properties object, gathered for Boot's binder and rendered by
 * {@link InvalidGrpcScalePropertiesFailureAnalyzer}; shared by every feature's checker. Each problem becomes a
 * {@link FieldError} whose field is its key relative to the object's prefix (kebab-case, as written in
 * {@code application.yml}), whose rejected value is the bound value, whose code is {@link #ERROR_CODE}, whose
 * only argument is what is expected and whose default message reads
 * {@code <prefix>.<key>: '<value>' (expected: <what>)}. It also holds the checks that several features
 * apply, so that each is written once.
 */
final class PropertyProblems {

	/** Code of every problem reported here, by which the failure analyzer recognises them. */
	static final String ERROR_CODE = "grpc-scale.invalid";

	/** What a grpc-scale name (service, node, election) looks like. */
	static final String NAME_EXPECTED = "letters, digits, '.', '_' or '-', not empty";

	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

	private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

	private static final String DURATION_EXPECTED = "a duration > 0, for example 500ms, 5s or 1m";

	private final Errors errors;

	/**
	 * Problems reported to the given errors.
	 * @param errors the binder's errors of the validated object
	 */
	PropertyProblems(Errors errors) {
		this.errors = errors;
	}

	/**
	 * Reports one invalid value.
	 * @param key the key relative to the validated object's prefix
	 * @param value the bound value, shown as {@link String#valueOf(Object)}
	 * @param expected what a valid value looks like
	 */
	void add(String key, @Nullable Object value, String expected) {
		String shown = String.valueOf(value);
		String message = this.errors.getObjectName() + "." + key + ": '" + shown + "' (expected: " + expected + ")";
		String[] codes = { ERROR_CODE };
		Object[] arguments = { expected };
		if (this.errors instanceof BindingResult result) {
			// a field error of its own: the key is kebab-case and may not be a bean property path
			result.addError(new FieldError(result.getObjectName(), key, shown, false, codes, arguments, message));
		}
		else {
			this.errors.reject(ERROR_CODE, arguments, message);
		}
	}

	/**
	 * Reports a duration that is unset, zero or negative.
	 * @return whether the duration is positive
	 */
	boolean positive(String key, @Nullable Duration value) {
		if (value == null || value.isZero() || value.isNegative()) {
			add(key, value, DURATION_EXPECTED);
			return false;
		}
		return true;
	}

	/** Reports a value that is unset or blank. */
	void notBlank(String key, @Nullable String value, String expected) {
		if (value == null || value.isBlank()) {
			add(key, value, expected);
		}
	}

	/** Reports a value that is set but blank; unset is valid. */
	void notBlankWhenSet(String key, @Nullable String value, String expected) {
		if (value != null && value.isBlank()) {
			add(key, value, expected);
		}
	}

	/** Reports a number outside {@code [min, max]}, NaN included. */
	void inRange(String key, double value, double min, double max, String expected) {
		if (!(value >= min && value <= max)) {
			add(key, value, expected);
		}
	}

	/** Whether a value is a grpc-scale name: {@value #NAME_EXPECTED}. */
	static boolean isName(@Nullable String value) {
		return value != null && NAME.matcher(value).matches();
	}

	/**
	 * Whether a value is a DNS label (RFC 1123), as Kubernetes names namespaces and Services: lower-case
	 * letters, digits and '-', beginning and ending with a letter or digit, at most 63 characters.
	 */
	static boolean isDnsLabel(String value) {
		return DNS_LABEL.matcher(value).matches();
	}

	/** Whether a number is a TCP port other than 0. */
	static boolean isPort(int port) {
		return port >= 1 && port <= 65535;
	}

	/** The URI the text parses as, {@code null} when it does not. */
	static @Nullable URI uri(String text) {
		try {
			return new URI(text);
		}
		catch (URISyntaxException ex) {
			return null;
		}
	}

}
