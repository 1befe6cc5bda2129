package dev.grpcscale.metrics;

import java.util.Locale;

/** How an operation run through {@code executeWithEnhancements} ended. */
public enum OperationOutcome {

	/** It returned (or its stage completed) normally. */
	SUCCESS,

	/** It threw (or its stage failed). */
	ERROR,

	/** Its circuit breaker did not permit it; it did not run. */
	REJECTED;

	private final String value = name().toLowerCase(Locale.ROOT);

	/** The outcome as a tag value: {@code success}, {@code error} or {@code rejected}. */
	public String value() {
		return this.value;
	}

}
