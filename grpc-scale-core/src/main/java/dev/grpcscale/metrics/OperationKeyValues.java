package dev.grpcscale.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import org.jspecify.annotations.Nullable;

/**
 * The low-cardinality key values of {@link DefaultOperationObservationConvention}, built once per operation
 * name and outcome and then reused: a convention is asked for them at the observation's start and again at
 * its stop, and building them (a key value of the name, an array, the sorted {@link KeyValues}) was most of
 * what grpc-scale's own code allocated per observed call. At most {@value #LIMIT} operation names are kept;
 * beyond that the key values of further names are built on every call, as operation names are meant to be
 * few and fixed.
 */
final class OperationKeyValues {

	/** How many operation names are kept. */
	static final int LIMIT = 1024;

	private static final OperationOutcome[] OUTCOMES = OperationOutcome.values();

	/** Index of the key values while the operation runs (no outcome yet). */
	private static final int RUNNING = OUTCOMES.length;

	private final KeyValue unknown;

	private final KeyValue[] outcomes;

	private final Map<String, KeyValues[]> byOperation = new ConcurrentHashMap<>();

	OperationKeyValues() {
		this.unknown = KeyValue.of(DefaultOperationObservationConvention.OUTCOME, "unknown");
		this.outcomes = new KeyValue[OUTCOMES.length];
		for (OperationOutcome outcome : OUTCOMES) {
			this.outcomes[outcome.ordinal()] = KeyValue.of(DefaultOperationObservationConvention.OUTCOME,
					outcome.value());
		}
	}

	/** The operation's key and the outcome's ({@code unknown} for {@code null}). */
	KeyValues of(String operationName, @Nullable OperationOutcome outcome) {
		int index = (outcome != null) ? outcome.ordinal() : RUNNING;
		KeyValues[] known = this.byOperation.get(operationName);
		if (known != null) {
			return known[index];
		}
		if (this.byOperation.size() >= LIMIT) {
			return build(KeyValue.of(DefaultOperationObservationConvention.OPERATION, operationName), index);
		}
		KeyValue operation = KeyValue.of(DefaultOperationObservationConvention.OPERATION, operationName);
		KeyValues[] all = new KeyValues[RUNNING + 1];
		for (int i = 0; i < all.length; i++) {
			all[i] = build(operation, i);
		}
		KeyValues[] raced = this.byOperation.putIfAbsent(operationName, all);
		return ((raced != null) ? raced : all)[index];
	}

	private KeyValues build(KeyValue operation, int index) {
		return KeyValues.of(operation, (index == RUNNING) ? this.unknown : this.outcomes[index]);
	}

}
