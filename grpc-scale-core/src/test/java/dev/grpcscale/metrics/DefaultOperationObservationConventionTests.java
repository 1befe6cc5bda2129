package dev.grpcscale.metrics;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DefaultOperationObservationConventionTests {

	private final DefaultOperationObservationConvention convention = new DefaultOperationObservationConvention();

	@Test
	void tagsTheOperationAndItsOutcomeUnknownWhileItRuns() {
		OperationContext context = new OperationContext("get-profile");
		assertThat(this.convention.getLowCardinalityKeyValues(context)).containsExactly(
				KeyValue.of(DefaultOperationObservationConvention.OPERATION, "get-profile"),
				KeyValue.of(DefaultOperationObservationConvention.OUTCOME, "unknown"));
		for (OperationOutcome outcome : OperationOutcome.values()) {
			context.setOutcome(outcome);
			assertThat(this.convention.getLowCardinalityKeyValues(context)).containsExactly(
					KeyValue.of(DefaultOperationObservationConvention.OPERATION, "get-profile"),
					KeyValue.of(DefaultOperationObservationConvention.OUTCOME, outcome.value()));
		}
	}

	@Test
	void reusesTheKeyValuesOfAnOperationAndOutcomeAcrossRuns() {
		OperationContext first = new OperationContext("get-profile");
		OperationContext second = new OperationContext(new String("get-profile"));
		KeyValues running = this.convention.getLowCardinalityKeyValues(first);
		assertThat(this.convention.getLowCardinalityKeyValues(second)).isSameAs(running);
		first.setOutcome(OperationOutcome.SUCCESS);
		second.setOutcome(OperationOutcome.SUCCESS);
		assertThat(this.convention.getLowCardinalityKeyValues(second))
			.isSameAs(this.convention.getLowCardinalityKeyValues(first))
			.isNotSameAs(running);
	}

	@Test
	void beyondItsLimitOfOperationNamesBuildsTheKeyValuesOfFurtherNamesOnEveryRun() {
		for (int i = 0; i < OperationKeyValues.LIMIT; i++) {
			this.convention.getLowCardinalityKeyValues(new OperationContext("operation-" + i));
		}
		OperationContext further = new OperationContext("one-too-many");
		further.setOutcome(OperationOutcome.REJECTED);
		KeyValues once = this.convention.getLowCardinalityKeyValues(further);
		assertThat(once).containsExactly(KeyValue.of(DefaultOperationObservationConvention.OPERATION, "one-too-many"),
				KeyValue.of(DefaultOperationObservationConvention.OUTCOME, "rejected"));
		assertThat(this.convention.getLowCardinalityKeyValues(further)).isEqualTo(once).isNotSameAs(once);
		assertThat(this.convention.getLowCardinalityKeyValues(new OperationContext("operation-0")))
			.isSameAs(this.convention.getLowCardinalityKeyValues(new OperationContext("operation-0")));
	}

}
