package dev.grpcscale.circuitbreaker;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.grpcscale.EnhancedServiceManager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GrpcCircuitBreakersTests {

	private static final String OP = "load-prices";

	private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

	private GrpcCircuitBreakers breakers(CircuitBreakerSettings settings) {
		return breakers(settings, false);
	}

	/** Breakers on the mock clock, or on a {@link CoarseClock} over it that ticks as it is advanced. */
	private GrpcCircuitBreakers breakers(CircuitBreakerSettings settings, boolean coarse) {
		return GrpcCircuitBreakers.builder().defaults(settings).clock(coarse ? this.clock.coarse() : this.clock).build();
	}

	private static void fail(GrpcCircuitBreakers breakers, String name, Status status) {
		assertThatThrownBy(() -> breakers.execute(name, () -> {
			throw status.asRuntimeException();
		})).isInstanceOf(RuntimeException.class);
	}

	private static void fail(GrpcCircuitBreakers breakers, String name) {
		fail(breakers, name, Status.UNAVAILABLE);
	}

	private static void succeed(GrpcCircuitBreakers breakers, String name) throws Exception {
		assertThat(breakers.execute(name, () -> "ok")).isEqualTo("ok");
	}

	@Test
	void staysClosedOneFailureBelowThreshold() {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.defaults());
		for (int i = 0; i < 4; i++) {
			fail(breakers, OP);
		}
		assertThat(breakers.operationBreaker(OP).getState()).isEqualTo(State.CLOSED);
	}

	@ParameterizedTest(name = "coarse clock: {0}")
	@ValueSource(booleans = { false, true })
	void opensAfterFailureThresholdWithinMonitoringPeriod(boolean coarse) throws Exception {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.defaults(), coarse);
		// successes in between do not dilute an absolute count
		for (int i = 0; i < 20; i++) {
			succeed(breakers, OP);
		}
		for (int i = 0; i < 4; i++) {
			fail(breakers, OP);
			this.clock.advance(Duration.ofSeconds(14));
		}
		assertThat(breakers.operationBreaker(OP).getState()).isEqualTo(State.CLOSED);
		fail(breakers, OP);
		assertThat(breakers.operationBreaker(OP).getState()).isEqualTo(State.OPEN);
	}

	@ParameterizedTest(name = "coarse clock: {0}")
	@ValueSource(booleans = { false, true })
	void failuresOlderThanMonitoringPeriodDoNotCount(boolean coarse) {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.defaults(), coarse);
		for (int i = 0; i < 4; i++) {
			fail(breakers, OP);
		}
		this.clock.advance(Duration.ofSeconds(60));
		fail(breakers, OP);
		assertThat(breakers.operationBreaker(OP).getState()).isEqualTo(State.CLOSED);
		assertThat(breakers.operationBreaker(OP).getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
	}

	@ParameterizedTest(name = "coarse clock: {0}")
	@ValueSource(booleans = { false, true })
	void failuresInsideMonitoringPeriodStillCountJustBeforeItEnds(boolean coarse) {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.defaults(), coarse);
		for (int i = 0; i < 4; i++) {
			fail(breakers, OP);
		}
		this.clock.advance(Duration.ofSeconds(60).minusNanos(1));
		fail(breakers, OP);
		assertThat(breakers.operationBreaker(OP).getState()).isEqualTo(State.OPEN);
	}

	@ParameterizedTest(name = "coarse clock: {0}")
	@ValueSource(booleans = { false, true })
	void oneSecondMonitoringPeriodForgetsAFailureOneSecondLater(boolean coarse) {
		GrpcCircuitBreakers breakers = breakers(
				CircuitBreakerSettings.builder().failureThreshold(2).monitoringPeriod(Duration.ofSeconds(1)).build(), coarse);
		fail(breakers, OP);
		this.clock.advance(Duration.ofSeconds(1));
		fail(breakers, OP);
		assertThat(breakers.operationBreaker(OP).getState()).isEqualTo(State.CLOSED);
		this.clock.advance(Duration.ofMillis(999));
		fail(breakers, OP);
		assertThat(breakers.operationBreaker(OP).getState()).isEqualTo(State.OPEN);
	}

	@Test
	void countsEveryConcurrentOutcomeExactlyWhileTheWindowMovesAcrossSeconds() throws Exception {
		// a threshold no run reaches: the breaker stays closed and every call is recorded
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.builder().failureThreshold(1_000_000).build());
		int threads = 4;
		int callsPerThread = 4_000;
		CountDownLatch start = new CountDownLatch(1);
		ExecutorService pool = Executors.newFixedThreadPool(threads);
		try {
			List<Future<?>> runs = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				runs.add(pool.submit(() -> {
					start.await();
					for (int i = 0; i < callsPerThread; i++) {
						if (i % 100 == 0) {
							// 4 threads x 40 x 250 ms = 40 s: many one-second buckets, all inside the 60 s window
							this.clock.advance(Duration.ofMillis(250));
						}
						if (i % 2 == 0) {
							fail(breakers, OP);
						}
						else {
							succeed(breakers, OP);
						}
					}
					return null;
				}));
			}
			start.countDown();
			for (Future<?> run : runs) {
				run.get();
			}
		}
		finally {
			pool.shutdownNow();
		}
		int calls = threads * callsPerThread;
		CircuitBreakerMetrics metrics = breakers.metrics();
		assertThat(metrics.failedRequests()).isEqualTo(calls / 2);
		assertThat(metrics.successfulRequests()).isEqualTo(calls / 2);
		CircuitBreaker.Metrics window = breakers.operationBreaker(OP).getMetrics();
		assertThat(window.getNumberOfFailedCalls()).isEqualTo(calls / 2);
		assertThat(window.getNumberOfBufferedCalls()).isEqualTo(calls);
	}

	@ParameterizedTest(name = "coarse clock: {0}")
	@ValueSource(booleans = { false, true })
	void staysOpenUntilRecoveryTimeoutThenHalfOpensAndClosesOnSuccess(boolean coarse) throws Exception {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.defaults(), coarse);
		for (int i = 0; i < 5; i++) {
			fail(breakers, OP);
		}
		CircuitBreaker breaker = breakers.operationBreaker(OP);
		this.clock.advance(Duration.ofSeconds(30).minusNanos(1));
		assertThatThrownBy(() -> succeed(breakers, OP)).isInstanceOf(CircuitBreakerOpenException.class);
		assertThat(breaker.getState()).isEqualTo(State.OPEN);
		this.clock.advance(Duration.ofNanos(1));
		// exactly at the timeout resilience4j still waits: it half-opens strictly after it
		assertThatThrownBy(() -> succeed(breakers, OP)).isInstanceOf(CircuitBreakerOpenException.class);
		this.clock.advance(Duration.ofNanos(1));
		assertThat(breaker.tryAcquirePermission()).isTrue();
		assertThat(breaker.getState()).isEqualTo(State.HALF_OPEN);
		breaker.releasePermission();
		succeed(breakers, OP);
		assertThat(breaker.getState()).isEqualTo(State.CLOSED);
		assertThat(breaker.getMetrics().getNumberOfBufferedCalls()).isZero();
	}

	@ParameterizedTest(name = "coarse clock: {0}")
	@ValueSource(booleans = { false, true })
	void halfOpenLetsOneTrialCallThroughAndReopensWhenItFails(boolean coarse) {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.defaults(), coarse);
		for (int i = 0; i < 5; i++) {
			fail(breakers, OP);
		}
		this.clock.advance(Duration.ofSeconds(31));
		AtomicInteger invoked = new AtomicInteger();
		assertThatThrownBy(() -> breakers.execute(OP, () -> {
			invoked.incrementAndGet();
			// a second call while the trial runs is rejected
			assertThatThrownBy(() -> breakers.execute(OP, () -> "nested"))
				.isInstanceOf(CircuitBreakerOpenException.class)
				.hasMessageContaining("HALF_OPEN");
			throw Status.DEADLINE_EXCEEDED.asRuntimeException();
		})).hasMessageContaining("DEADLINE_EXCEEDED");
		assertThat(invoked).hasValue(1);
		assertThat(breakers.operationBreaker(OP).getState()).isEqualTo(State.OPEN);
		this.clock.advance(Duration.ofSeconds(29));
		assertThatThrownBy(() -> succeed(breakers, OP)).isInstanceOf(CircuitBreakerOpenException.class);
	}

	@Test
	void nonExpectedStatusCodesNeverCount() {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.defaults());
		for (Status status : List.of(Status.INVALID_ARGUMENT, Status.NOT_FOUND, Status.INTERNAL, Status.UNKNOWN,
				Status.PERMISSION_DENIED, Status.RESOURCE_EXHAUSTED)) {
			for (int i = 0; i < 5; i++) {
				fail(breakers, OP, status);
			}
		}
		CircuitBreaker breaker = breakers.operationBreaker(OP);
		assertThat(breaker.getState()).isEqualTo(State.CLOSED);
		assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
		assertThat(breakers.metrics().failedRequests()).isZero();
		assertThat(breakers.metrics().successfulRequests()).isEqualTo(30);
	}

	@Test
	void otherExceptionsCountUnlessThePredicateRejectsThem() {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.builder()
			.failureThreshold(2)
			.recordExceptions((ex) -> ex instanceof IOException)
			.build());
		for (int i = 0; i < 5; i++) {
			assertThatThrownBy(() -> breakers.execute(OP, () -> {
				throw new IllegalArgumentException("bad input");
			})).isInstanceOf(IllegalArgumentException.class);
		}
		assertThat(breakers.operationBreaker(OP).getState()).isEqualTo(State.CLOSED);
		for (int i = 0; i < 2; i++) {
			assertThatThrownBy(() -> breakers.execute(OP, () -> {
				throw new IOException("down");
			})).isInstanceOf(IOException.class);
		}
		assertThat(breakers.operationBreaker(OP).getState()).isEqualTo(State.OPEN);
	}

	@Test
	void failureRateVariantOpensOnceRateIsReachedWithAtLeastThresholdCalls() throws Exception {
		GrpcCircuitBreakers breakers = breakers(
				CircuitBreakerSettings.builder().failureThreshold(10).failureRateThreshold(50f).build());
		CircuitBreaker breaker = breakers.operationBreaker(OP);
		// 6 failures of 9 calls: rate above 50% but below the minimum of 10 calls
		for (int i = 0; i < 6; i++) {
			fail(breakers, OP);
		}
		for (int i = 0; i < 3; i++) {
			succeed(breakers, OP);
		}
		assertThat(breaker.getState()).isEqualTo(State.CLOSED);
		// the 10th call, a success, brings the minimum with 60% failures
		succeed(breakers, OP);
		assertThat(breaker.getState()).isEqualTo(State.OPEN);
	}

	@Test
	void failureRateVariantStaysClosedBelowRateWhateverTheFailureCount() throws Exception {
		GrpcCircuitBreakers breakers = breakers(
				CircuitBreakerSettings.builder().failureThreshold(5).failureRateThreshold(50f).build());
		for (int i = 0; i < 20; i++) {
			succeed(breakers, OP);
			if (i % 2 == 0) {
				fail(breakers, OP);
			}
		}
		// 10 failures of 30 calls: 33%
		assertThat(breakers.operationBreaker(OP).getState()).isEqualTo(State.CLOSED);
	}

	@Test
	void operationIsNotInvokedWhenOpenAndMetricsCountEveryOutcome() throws Exception {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.builder().failureThreshold(2).build());
		succeed(breakers, OP);
		fail(breakers, OP);
		fail(breakers, OP);
		AtomicInteger invoked = new AtomicInteger();
		assertThatThrownBy(() -> breakers.execute(OP, invoked::incrementAndGet))
			.isInstanceOfSatisfying(CircuitBreakerOpenException.class, (ex) -> {
				assertThat(ex.getBreakerName()).isEqualTo(OP);
				assertThat(ex.getState()).isEqualTo(State.OPEN);
			})
			.hasMessage("Circuit breaker 'load-prices' is OPEN and does not permit further calls; "
					+ "the operation was not invoked");
		assertThat(invoked).hasValue(0);
		CircuitBreakerMetrics metrics = breakers.metrics();
		assertThat(metrics.totalRequests()).isEqualTo(4);
		assertThat(metrics.successfulRequests()).isEqualTo(1);
		assertThat(metrics.failedRequests()).isEqualTo(2);
		assertThat(metrics.rejectedRequests()).isEqualTo(1);
		assertThat(metrics.breakers()).singleElement().satisfies((breaker) -> {
			assertThat(breaker.name()).isEqualTo(OP);
			assertThat(breaker.kind()).isEqualTo(CircuitBreakerKind.OPERATION);
			assertThat(breaker.state()).isEqualTo(State.OPEN);
			assertThat(breaker.bufferedCalls()).isEqualTo(3);
			assertThat(breaker.failedCalls()).isEqualTo(2);
			assertThat(breaker.failureRate()).isCloseTo(66.67f, org.assertj.core.data.Offset.offset(0.01f));
		});
	}

	@Test
	void asyncOperationIsNotInvokedWhenOpenAndItsStageFails() {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.builder().failureThreshold(1).build());
		CompletionStage<String> failed = breakers.executeAsync(OP,
				() -> CompletableFuture.failedFuture(Status.UNAVAILABLE.asRuntimeException()));
		assertThat(failed.toCompletableFuture()).isCompletedExceptionally();
		AtomicInteger invoked = new AtomicInteger();
		CompletionStage<String> rejected = breakers.executeAsync(OP, () -> {
			invoked.incrementAndGet();
			return CompletableFuture.completedFuture("never");
		});
		assertThat(invoked).hasValue(0);
		assertThatThrownBy(() -> rejected.toCompletableFuture().join())
			.hasCauseInstanceOf(CircuitBreakerOpenException.class);
		assertThat(breakers.metrics().failedRequests()).isEqualTo(1);
		assertThat(breakers.metrics().rejectedRequests()).isEqualTo(1);
	}

	@Test
	void managerRunsOperationsInTheirBreakerAndReportsMetricsAndStatus() throws Exception {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.builder().failureThreshold(1).build());
		EnhancedServiceManager manager = EnhancedServiceManager.builder().circuitBreakers(breakers).build();
		assertThat(manager.executeWithEnhancements(() -> 42, "answer")).isEqualTo(42);
		assertThatThrownBy(() -> manager.executeWithEnhancements(() -> {
			throw Status.UNAVAILABLE.asRuntimeException();
		}, "broken")).hasMessageContaining("UNAVAILABLE");
		assertThatThrownBy(() -> manager.executeWithEnhancements(() -> "never", "broken"))
			.isInstanceOf(CircuitBreakerOpenException.class);
		assertThat(manager.executeWithEnhancementsAsync(() -> CompletableFuture.completedFuture("x"), "answer")
			.toCompletableFuture()
			.join()).isEqualTo("x");
		CircuitBreakerMetrics metrics = manager.getCircuitBreakerMetrics();
		assertThat(metrics.totalRequests()).isEqualTo(4);
		assertThat(metrics.successfulRequests()).isEqualTo(2);
		assertThat(metrics.failedRequests()).isEqualTo(1);
		assertThat(metrics.rejectedRequests()).isEqualTo(1);
		assertThat(manager.getEnhancedServiceStatus().circuitBreaker()).satisfies((section) -> {
			assertThat(section.breakers()).containsEntry("answer", State.CLOSED).containsEntry("broken", State.OPEN);
			assertThat(section.openCircuits()).containsExactly("broken");
		});
	}

	@Test
	void managerWithoutBreakersRunsOperationsUnguarded() throws Exception {
		EnhancedServiceManager manager = EnhancedServiceManager.builder().build();
		assertThat(manager.executeWithEnhancements(() -> "plain", "op")).isEqualTo("plain");
		assertThat(manager.getEnhancedServiceStatus().circuitBreaker()).isNull();
		assertThatThrownBy(manager::getCircuitBreakerMetrics).isInstanceOf(IllegalStateException.class);
	}

	@Test
	void instanceBreakerTakesItsServiceOverrideUnlessItHasItsOwn() {
		CircuitBreakerSettings service = CircuitBreakerSettings.builder().failureThreshold(7).build();
		CircuitBreakerSettings instance = CircuitBreakerSettings.builder().failureThreshold(2).build();
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
			.override("svc", service)
			.override("svc/i2", instance)
			.build();
		assertThat(breakers.config("svc").getMinimumNumberOfCalls()).isEqualTo(7);
		assertThat(breakers.config("svc/i1")).isSameAs(breakers.config("svc"));
		assertThat(breakers.config("svc/i2").getMinimumNumberOfCalls()).isEqualTo(2);
		assertThat(breakers.config("other")).isSameAs(breakers.defaults());
		assertThat(breakers.defaults().getMinimumNumberOfCalls()).isEqualTo(CircuitBreakerSettings.DEFAULT_FAILURE_THRESHOLD);
		assertThat(breakers.instanceBreaker("svc", "i1").getName()).isEqualTo("svc/i1");
		assertThat(breakers.instanceBreaker("svc", "i1").getCircuitBreakerConfig().getMinimumNumberOfCalls())
			.isEqualTo(7);
	}

	@Test
	void registryConfigurationOfABreakersNameConfiguresItAndItsInstances() {
		CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
		CircuitBreakerConfig inventory = CircuitBreakerSettings.builder().failureThreshold(3).build().toConfig();
		registry.addConfiguration("inventory", inventory);
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder().registry(registry).build();
		assertThat(breakers.config("inventory")).isSameAs(inventory);
		assertThat(breakers.config("inventory/i1")).isSameAs(inventory);
		assertThat(breakers.instanceBreaker("inventory", "i1").getCircuitBreakerConfig().getMinimumNumberOfCalls())
			.isEqualTo(3);
		// the registry's own default is the application's, not grpc-scale's defaults
		assertThat(breakers.config("default")).isSameAs(breakers.defaults());
		assertThat(breakers.config("elsewhere")).isSameAs(breakers.defaults());
	}

	@Test
	void overrideTakesPrecedenceOverTheRegistrysConfigurationOfTheSameName() {
		CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
		registry.addConfiguration("payments", CircuitBreakerConfig.custom().minimumNumberOfCalls(42).build());
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
			.registry(registry)
			.override("payments", CircuitBreakerSettings.builder().failureThreshold(4).build())
			.build();
		assertThat(breakers.config("payments").getMinimumNumberOfCalls()).isEqualTo(4);
		assertThat(registry.getConfiguration("payments")).get()
			.extracting(CircuitBreakerConfig::getMinimumNumberOfCalls)
			.isEqualTo(42);
	}

	@Test
	void plainResilience4jConfigurationJudgesGrpcStatusesWithItsOwnPredicates() {
		MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
		CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
		registry.addConfiguration("ledger", CircuitBreakerConfig.custom()
			.slidingWindowSize(2)
			.minimumNumberOfCalls(2)
			.failureRateThreshold(50)
			.recordException((ex) -> ex instanceof StatusRuntimeException sre
					&& sre.getStatus().getCode() == Status.Code.INTERNAL)
			.build());
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder().registry(registry).clock(clock).build();
		BreakerEntry entry = breakers.entry("ledger", CircuitBreakerKind.SERVICE);
		assertThat(entry.isFailure(Status.Code.INTERNAL)).isTrue();
		assertThat(entry.isFailure(Status.Code.UNAVAILABLE)).isFalse();
		entry.tryAcquire();
		entry.recordStatus(entry.breaker.getCurrentTimestamp(), Status.UNAVAILABLE, null, false);
		entry.tryAcquire();
		entry.recordStatus(entry.breaker.getCurrentTimestamp(), Status.INTERNAL, null, false);
		assertThat(entry.breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
		assertThat(entry.breaker.getCircuitBreakerConfig().getClock()).isSameAs(clock);
	}

	@Test
	void listenersSeeEveryTransitionAndAThrowingOneBreaksNothing() throws Exception {
		List<CircuitBreakerTransition> seen = new CopyOnWriteArrayList<>();
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
			.defaults(CircuitBreakerSettings.builder().failureThreshold(1).build())
			.clock(this.clock)
			.listener((transition) -> {
				throw new IllegalStateException("listener bug");
			})
			.listener(seen::add)
			.build();
		fail(breakers, OP);
		this.clock.advance(Duration.ofSeconds(31));
		succeed(breakers, OP);
		assertThat(seen).extracting(CircuitBreakerTransition::from, CircuitBreakerTransition::to)
			.containsExactly(org.assertj.core.groups.Tuple.tuple(State.CLOSED, State.OPEN),
					org.assertj.core.groups.Tuple.tuple(State.OPEN, State.HALF_OPEN),
					org.assertj.core.groups.Tuple.tuple(State.HALF_OPEN, State.CLOSED));
		assertThat(seen).allSatisfy((transition) -> {
			assertThat(transition.name()).isEqualTo(OP);
			assertThat(transition.kind()).isEqualTo(CircuitBreakerKind.OPERATION);
		});
		assertThat(seen.get(0).at()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
	}

	@Test
	void cancelledSubscriptionStopsNotifications() {
		GrpcCircuitBreakers breakers = breakers(CircuitBreakerSettings.builder().failureThreshold(1).build());
		List<CircuitBreakerTransition> seen = new CopyOnWriteArrayList<>();
		breakers.addListener(seen::add).cancel();
		fail(breakers, OP);
		assertThat(seen).isEmpty();
	}

	@Test
	void breakersRegisterNoEventConsumerSoResilience4jBuildsNoEventPerCall() throws Exception {
		List<CircuitBreakerTransition> transitions = new CopyOnWriteArrayList<>();
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
			.clock(this.clock)
			.defaults(CircuitBreakerSettings.builder().failureThreshold(1).build())
			.listener(transitions::add)
			.build();
		succeed(breakers, OP);
		io.github.resilience4j.core.EventProcessor<?> events = (io.github.resilience4j.core.EventProcessor<?>) breakers
			.operationBreaker(OP)
			.getEventPublisher();
		assertThat(events.hasConsumers()).isFalse();
		fail(breakers, OP);
		// the transition is still seen, observed after the call that made it
		assertThat(transitions).singleElement().satisfies((transition) -> {
			assertThat(transition.from()).isEqualTo(State.CLOSED);
			assertThat(transition.to()).isEqualTo(State.OPEN);
		});
	}

	@Test
	void departedInstanceBreakerKeepsItsStateWhenTheInstanceFlapsBackWithinRetention() {
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
			.clock(this.clock)
			.instanceRetention(Duration.ofMinutes(2))
			.build();
		BreakerEntry held = breakers.hold("svc/i1");
		held.breaker.transitionToOpenState();
		breakers.release(held);
		this.clock.advance(Duration.ofSeconds(119));
		breakers.removeExpiredInstanceBreakers();

		BreakerEntry back = breakers.hold("svc/i1");
		assertThat(back).isSameAs(held);
		assertThat(back.breaker.getState()).isEqualTo(State.OPEN);
		// held again: no retention runs while a channel balances over the instance
		this.clock.advance(Duration.ofHours(1));
		assertThat(breakers.removeExpiredInstanceBreakers()).isZero();
		assertThat(breakers.states()).containsKey("svc/i1");
	}

	@Test
	void departedInstanceBreakerIsRemovedFromRegistryAfterRetentionAndComesBackFresh() {
		CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
		List<String> removed = new CopyOnWriteArrayList<>();
		registry.getEventPublisher().onEntryRemoved((event) -> removed.add(event.getRemovedEntry().getName()));
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
			.registry(registry)
			.clock(this.clock)
			.instanceRetention(Duration.ofMinutes(2))
			.build();
		CircuitBreaker service = breakers.serviceBreaker("svc");
		BreakerEntry first = breakers.hold("svc/i1");
		BreakerEntry second = breakers.hold("svc/i1");
		first.breaker.transitionToOpenState();
		breakers.release(first);
		this.clock.advance(Duration.ofMinutes(5));
		assertThat(breakers.removeExpiredInstanceBreakers()).as("still held by another channel").isZero();
		breakers.release(second);
		this.clock.advance(Duration.ofSeconds(121));

		assertThat(breakers.removeExpiredInstanceBreakers()).isOne();
		assertThat(breakers.states()).containsOnlyKeys("svc");
		assertThat(registry.find("svc/i1")).isEmpty();
		assertThat(removed).containsExactly("svc/i1");
		assertThat(registry.find("svc")).containsSame(service);
		BreakerEntry fresh = breakers.hold("svc/i1");
		assertThat(fresh).isNotSameAs(first);
		assertThat(fresh.breaker.getState()).isEqualTo(State.CLOSED);
		assertThat(registry.find("svc/i1")).containsSame(fresh.breaker);
	}

	@Test
	void expiredInstanceBreakersAreSweptWhenTheNextOneIsLetGo() {
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
			.clock(this.clock)
			.instanceRetention(Duration.ofSeconds(30))
			.build();
		for (int i = 0; i < 100; i++) {
			breakers.release(breakers.hold("svc/i" + i));
			this.clock.advance(Duration.ofSeconds(10));
		}
		// the last three (and the one released exactly 30 s ago, swept at the next release) are retained
		assertThat(breakers.states()).hasSizeLessThanOrEqualTo(4).containsKey("svc/i99");
	}

	@Test
	void instanceBreakerAskedForDirectlyIsRetainedFromItsLastUse() {
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
			.clock(this.clock)
			.instanceRetention(Duration.ofMinutes(1))
			.build();
		CircuitBreaker breaker = breakers.instanceBreaker("svc", "i1");
		this.clock.advance(Duration.ofSeconds(50));
		assertThat(breakers.instanceBreaker("svc", "i1")).isSameAs(breaker);
		this.clock.advance(Duration.ofSeconds(50));
		assertThat(breakers.removeExpiredInstanceBreakers()).isZero();
		this.clock.advance(Duration.ofSeconds(11));
		assertThat(breakers.removeExpiredInstanceBreakers()).isOne();
		assertThat(breakers.instanceBreaker("svc", "i1")).isNotSameAs(breaker);
	}

	@Test
	void operationAndServiceBreakersAreNeverRemoved() throws Exception {
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder().clock(this.clock).instanceRetention(Duration.ZERO).build();
		breakers.serviceBreaker("svc");
		succeed(breakers, OP);
		this.clock.advance(Duration.ofDays(30));
		breakers.release(breakers.hold("svc/i1"));
		assertThat(breakers.removeExpiredInstanceBreakers()).isZero();
		assertThat(breakers.states()).containsOnlyKeys("svc", OP);
	}

	@Test
	void negativeInstanceRetentionIsRejected() {
		assertThatThrownBy(() -> GrpcCircuitBreakers.builder().instanceRetention(Duration.ofSeconds(-1)))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessage("instanceRetention: PT-1S (expected: >= 0)");
	}

}
