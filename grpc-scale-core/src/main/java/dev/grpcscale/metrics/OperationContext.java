package dev.grpcscale.metrics;

import java.util.Objects;

import io.micrometer.observation.Observation;
import org.jspecify.annotations.Nullable;

/**
 * The context of a {@code grpc.scale.operation} observation: the operation's name and, once it ended, its
 * outcome. An {@link OperationObservationConvention} turns it into the observation's name and key values.
 */
public class OperationContext extends Observation.Context {

	private final String operationName;

	private volatile @Nullable OperationOutcome outcome;

	/**
	 * Creates the context of one run of an operation.
	 * @param operationName the operation, as given to {@code executeWithEnhancements}
	 */
	public OperationContext(String operationName) {
		this.operationName = Objects.requireNonNull(operationName, "operationName");
	}

	/** The operation's name. */
	public String getOperationName() {
		return this.operationName;
	}

	/** How the operation ended; {@code null} while it runs. */
	public @Nullable OperationOutcome getOutcome() {
		return this.outcome;
	}

	/**
	 * Records how the operation ended.
	 * @param outcome the outcome
	 */
	public void setOutcome(OperationOutcome outcome) {
		this.outcome = Objects.requireNonNull(outcome, "outcome");
	}

}
