package dev.grpcscale.metrics;

import io.micrometer.common.KeyValues;
import org.jspecify.annotations.Nullable;

/**
 * The default {@link OperationObservationConvention}: one observation named {@value #NAME} for every
 * operation (a timer {@code grpc.scale.operation} with metrics), the operation's name as the span's
 * contextual name, and two low-cardinality keys: {@value #OPERATION} (the operation's name) and
 * {@value #OUTCOME} ({@code success}, {@code error}, {@code rejected}; {@code unknown} while it runs).
 *
 * <p>Operation names become tag values: keep them few and fixed ({@code get-user-profile}), never built
 * from request data. Each instance keeps the key values of the first 1,024 operation names it sees (one
 * {@link KeyValues} per name and outcome, reused by every run), so a run allocates none; further names get
 * theirs built on every run.
 */
public class DefaultOperationObservationConvention implements OperationObservationConvention {

	/** The observation's (and its timer's) name. */
	public static final String NAME = "grpc.scale.operation";

	/** The key holding the operation's name. */
	public static final String OPERATION = "grpc.scale.operation";

	/** The key telling how the operation ended. */
	public static final String OUTCOME = "grpc.scale.outcome";

	/** The shared instance. */
	public static final DefaultOperationObservationConvention INSTANCE = new DefaultOperationObservationConvention();

	private final OperationKeyValues keyValues = new OperationKeyValues();

	@Override
	public String getName() {
		return NAME;
	}

	@Override
	public String getContextualName(OperationContext context) {
		return context.getOperationName();
	}

	@Override
	public KeyValues getLowCardinalityKeyValues(OperationContext context) {
		return keyValues(context.getOperationName(), context.getOutcome());
	}

	/** The key values of a run, with no context to build: {@link OperationTimers}' path. */
	final KeyValues keyValues(String operationName, @Nullable OperationOutcome outcome) {
		return this.keyValues.of(operationName, outcome);
	}

}
