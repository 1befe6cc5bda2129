package dev.grpcscale.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.circuitbreaker.CircuitBreakerOpenException;
import dev.grpcscale.circuitbreaker.CircuitBreakerSettings;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class OperationTimersTests {

	private final MockClock clock = new MockClock();

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry(SimpleConfig.DEFAULT, this.clock);

	private final EnhancedServiceManager manager = EnhancedServiceManager.builder()
		.circuitBreakers(breakers())
		.meterRegistry(this.meters)
		.build();

	@Test
	void successfulRunIsTimedWithOperationOutcomeAndNoError() throws Exception {
		String result = this.manager.executeWithEnhancements(() -> {
			this.clock.add(Duration.ofMillis(7));
			return "ok";
		}, "get-profile");
		assertThat(result).isEqualTo("ok");
		Timer timer = timer("get-profile", "success", "none");
		assertThat(timer.count()).isOne();
		assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(7.0);
	}

	@Test
	void failedRunIsTaggedErrorWithTheExceptionClassAndRejectedRunWithTheBreakersException() {
		assertThatIllegalStateException().isThrownBy(() -> this.manager.executeWithEnhancements(() -> {
			throw new IllegalStateException("boom");
		}, "flaky"));
		// the failure opened the breaker (threshold 1): the next run is rejected without running
		assertThatExceptionOfType(CircuitBreakerOpenException.class)
			.isThrownBy(() -> this.manager.executeWithEnhancements(() -> "never", "flaky"));
		assertThat(timer("flaky", "error", "IllegalStateException").count()).isOne();
		assertThat(timer("flaky", "rejected", "CircuitBreakerOpenException").count()).isOne();
		assertThat(this.meters.find(DefaultOperationObservationConvention.NAME).timers()).hasSize(2);
	}

	@Test
	void asyncRunIsTimedUntilItsStageCompletes() {
		CompletableFuture<String> pending = new CompletableFuture<>();
		CompletionStage<String> stage = this.manager.executeWithEnhancementsAsync(() -> pending, "async-op");
		assertThat(this.meters.find(DefaultOperationObservationConvention.NAME).timers()).isEmpty();
		this.clock.add(Duration.ofMillis(12));
		pending.complete("done");
		assertThat(stage.toCompletableFuture().join()).isEqualTo("done");
		Timer timer = timer("async-op", "success", "none");
		assertThat(timer.count()).isOne();
		assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(12.0);
	}

	@Test
	void asyncFailureAndRejectionAreTaggedWithTheUnwrappedCause() {
		CompletionStage<String> failed = this.manager
			.executeWithEnhancementsAsync(() -> CompletableFuture.failedFuture(new IllegalArgumentException("bad")),
					"async-flaky");
		assertThat(failed.toCompletableFuture()).isCompletedExceptionally();
		CompletionStage<String> rejected = this.manager
			.executeWithEnhancementsAsync(() -> CompletableFuture.completedFuture("never"), "async-flaky");
		assertThat(rejected.toCompletableFuture()).isCompletedExceptionally();
		assertThat(timer("async-flaky", "error", "IllegalArgumentException").count()).isOne();
		assertThat(timer("async-flaky", "rejected", "CircuitBreakerOpenException").count()).isOne();
	}

	@Test
	void timerPathRecordsTheMeterIdsTheObservationPathRecordsForTheSameRuns() {
		SimpleMeterRegistry observed = new SimpleMeterRegistry();
		ObservationRegistry observations = ObservationRegistry.create();
		observations.observationConfig()
			.observationHandler(new DefaultMeterObservationHandler(observed,
					DefaultMeterObservationHandler.IgnoredMeters.LONG_TASK_TIMER));
		EnhancedServiceManager observing = EnhancedServiceManager.builder()
			.circuitBreakers(breakers())
			.observationRegistry(observations)
			.build();
		SimpleMeterRegistry timed = new SimpleMeterRegistry();
		EnhancedServiceManager timing = EnhancedServiceManager.builder()
			.circuitBreakers(breakers())
			.meterRegistry(timed)
			.build();
		Consumer<EnhancedServiceManager> runs = (manager) -> {
			call(manager, "load-prices", () -> "ok");
			call(manager, "load-prices", () -> "ok");
			call(manager, "flaky", () -> {
				throw new IllegalStateException("boom");
			});
			call(manager, "flaky", () -> "rejected");
			manager.executeWithEnhancementsAsync(() -> CompletableFuture.completedFuture("ok"), "async-op")
				.toCompletableFuture()
				.join();
		};
		runs.accept(observing);
		runs.accept(timing);
		assertThat(operationTimers(timed)).isNotEmpty().isEqualTo(operationTimers(observed));
	}

	@Test
	void aGivenConventionNamesAndTagsTheTimer() throws Exception {
		EnhancedServiceManager renamed = EnhancedServiceManager.builder()
			.meterRegistry(this.meters)
			.observationConvention(new ShopOperationConvention())
			.build();
		renamed.executeWithEnhancements(() -> "ok", "pay");
		assertThat(this.meters.get("shop.operation")
			.tags("team", "checkout", DefaultOperationObservationConvention.OPERATION, "pay",
					DefaultOperationObservationConvention.OUTCOME, "success", "error", "none")
			.timer()
			.count()).isOne();
	}

	@Test
	void highCardinalityConventionIsRecordedButCachesAtMostTheLimit() throws Exception {
		OperationObservationConvention perRequest = new DefaultOperationObservationConvention() {

			@Override
			public KeyValues getLowCardinalityKeyValues(OperationContext context) {
				return super.getLowCardinalityKeyValues(context).and("request", context.getOperationName());
			}

		};
		OperationTimers timers = new OperationTimers(this.meters, perRequest);
		int runs = OperationTimers.LIMIT + 100;
		for (int i = 0; i < runs; i++) {
			timers.record("op-" + i, () -> "ok");
		}
		timers.record("op-" + (runs - 1), () -> "again");
		assertThat(timers.cachedTimers()).isEqualTo(OperationTimers.LIMIT);
		assertThat(this.meters.find(DefaultOperationObservationConvention.NAME).timers()).hasSize(runs);
		assertThat(this.meters.get(DefaultOperationObservationConvention.NAME)
			.tag("request", "op-" + (runs - 1))
			.timer()
			.count()).isEqualTo(2);
	}

	@Test
	void builderRejectsAnObservationRegistryAndAMeterRegistryTogether() {
		assertThatIllegalStateException()
			.isThrownBy(() -> EnhancedServiceManager.builder()
				.observationRegistry(ObservationRegistry.create())
				.meterRegistry(this.meters)
				.build())
			.withMessageStartingWith("meterRegistry: ")
			.withMessageContaining("expected: null when an observationRegistry is set");
	}

	private Timer timer(String operation, String outcome, String error) {
		return this.meters.get(DefaultOperationObservationConvention.NAME)
			.tags(DefaultOperationObservationConvention.OPERATION, operation,
					DefaultOperationObservationConvention.OUTCOME, outcome, "error", error)
			.timer();
	}

	private static GrpcCircuitBreakers breakers() {
		return GrpcCircuitBreakers.builder()
			.defaults(CircuitBreakerSettings.builder().failureThreshold(1).build())
			.build();
	}

	private static void call(EnhancedServiceManager manager, String operation,
			java.util.concurrent.Callable<String> body) {
		try {
			manager.executeWithEnhancements(body, operation);
		}
		catch (Exception ex) {
			// the failure and the rejection are part of the runs compared
		}
	}

	/** Each grpc.scale.operation timer's id and count. */
	private static Set<String> operationTimers(MeterRegistry registry) {
		List<Meter> found = List.copyOf(registry.find(DefaultOperationObservationConvention.NAME).meters());
		return found.stream()
			.map((meter) -> meter.getId().getType() + " " + meter.getId().getName() + " " + meter.getId().getTags()
					+ " count=" + ((meter instanceof Timer timer) ? timer.count() : -1))
			.collect(Collectors.toSet());
	}

}
