package dev.grpcscale.tracing;

import java.util.concurrent.CompletableFuture;

import io.micrometer.observation.Observation;
import io.micrometer.observation.tck.TestObservationRegistry;
import org.junit.jupiter.api.Test;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.circuitbreaker.CircuitBreakerOpenException;
import dev.grpcscale.circuitbreaker.CircuitBreakerSettings;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.metrics.DefaultOperationObservationConvention;
import dev.grpcscale.metrics.OperationObservationConvention;
import dev.grpcscale.metrics.ShopOperationConvention;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class OperationObservationsTests {

	private final TestObservationRegistry registry = TestObservationRegistry.create();

	private final GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
		.defaults(CircuitBreakerSettings.builder().failureThreshold(1).build())
		.build();

	private final EnhancedServiceManager manager = EnhancedServiceManager.builder()
		.circuitBreakers(this.breakers)
		.observationRegistry(this.registry)
		.build();

	@Test
	void operationRunsInOneGrpcScaleOperationObservationTaggedWithItChildOfTheCurrentOne() throws Exception {
		Observation parent = Observation.start("request", this.registry);
		try (Observation.Scope scope = parent.openScope()) {
			assertThat(this.manager.executeWithEnhancements(() -> "ok", "get-profile")).isEqualTo("ok");
		}
		parent.stop();
		assertThat(this.registry).hasObservationWithNameEqualTo("grpc.scale.operation")
			.that()
			.hasContextualNameEqualTo("get-profile")
			.hasLowCardinalityKeyValue(DefaultOperationObservationConvention.OPERATION, "get-profile")
			.hasBeenStarted()
			.hasBeenStopped()
			.hasLowCardinalityKeyValue(OperationObservations.OUTCOME, "success")
			.hasParentObservationEqualTo(parent);
	}

	@Test
	void failuresAreRecordedAndRejectionsMarkedRejected() {
		assertThatIllegalStateException().isThrownBy(() -> this.manager.executeWithEnhancements(() -> {
			throw new IllegalStateException("boom");
		}, "flaky"));
		// the failure opened the breaker (threshold 1): the next call is rejected without running
		assertThatExceptionOfType(CircuitBreakerOpenException.class)
			.isThrownBy(() -> this.manager.executeWithEnhancements(() -> "never", "flaky"));
		assertThat(this.registry).hasNumberOfObservationsWithNameEqualTo("grpc.scale.operation", 2);
		assertThat(this.registry).hasAnObservationWithAKeyValue(OperationObservations.OUTCOME, "error")
			.hasAnObservationWithAKeyValue(OperationObservations.OUTCOME, "rejected");
	}

	@Test
	void asyncObservationEndsWhenTheStageCompletes() {
		CompletableFuture<String> pending = new CompletableFuture<>();
		var stage = this.manager.executeWithEnhancementsAsync(() -> pending, "async-op");
		assertThat(this.registry).hasObservationWithNameEqualTo("grpc.scale.operation").that().isNotStopped();
		pending.complete("done");
		assertThat(stage.toCompletableFuture().join()).isEqualTo("done");
		assertThat(this.registry).hasObservationWithNameEqualTo("grpc.scale.operation")
			.that()
			.hasContextualNameEqualTo("async-op")
			.hasBeenStopped()
			.hasLowCardinalityKeyValue(OperationObservations.OUTCOME, "success");
	}

	@Test
	void aGivenConventionRenamesAndTagsTheObservation() throws Exception {
		OperationObservationConvention custom = new ShopOperationConvention();
		EnhancedServiceManager manager = EnhancedServiceManager.builder()
			.observationRegistry(this.registry)
			.observationConvention(custom)
			.build();
		manager.executeWithEnhancements(() -> "ok", "pay");
		assertThat(this.registry).hasObservationWithNameEqualTo("shop.operation")
			.that()
			.hasLowCardinalityKeyValue("team", "checkout")
			.hasLowCardinalityKeyValue(DefaultOperationObservationConvention.OPERATION, "pay")
			.hasLowCardinalityKeyValue(OperationObservations.OUTCOME, "success");
	}

	@Test
	void withoutRegistryNothingIsObserved() throws Exception {
		EnhancedServiceManager plain = EnhancedServiceManager.builder().build();
		assertThat(plain.executeWithEnhancements(() -> 42, "plain")).isEqualTo(42);
		assertThat(this.registry).doesNotHaveAnyObservation();
	}

}
