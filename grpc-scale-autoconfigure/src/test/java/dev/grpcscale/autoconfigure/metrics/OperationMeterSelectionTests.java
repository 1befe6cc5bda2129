package dev.grpcscale.autoconfigure.metrics;

import java.util.ArrayList;
import java.util.List;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.metrics.DefaultOperationObservationConvention;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a Boot application records {@code executeWithEnhancements}' {@code grpc.scale.operation} meter
 * ({@code grpc.scale.metrics.operation-meter}): with a tracer that makes spans, an observation (whose meter
 * handler also keeps the {@code grpc.scale.operation.active} long-task timer); with meters only, a timer
 * recorded directly; either path forced by the property. Every run is counted once, and Boot's observation
 * switches and common key values act on both paths.
 */
class OperationMeterSelectionTests {

	/** Without Boot's OpenTelemetry tracing, Boot's no-op tracer is the application's Tracer. */
	private static final String NO_TRACING = "spring.autoconfigure.exclude="
			+ "org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration";

	private static final String ACTIVE = DefaultOperationObservationConvention.NAME + ".active";

	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	@AfterEach
	void close() {
		this.contexts.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void withMetersAndNoTracerOperationsAreTimedWithoutAnObservation() throws Exception {
		ConfigurableApplicationContext client = start(NO_TRACING);
		assertThat(client.getBean(Tracer.class)).isSameAs(Tracer.NOOP);
		MeterRegistry meters = runOperation(client);
		assertRecordedOnce(meters, false);
	}

	@Test
	void withATracerThatMakesSpansOperationsAreObserved() throws Exception {
		ConfigurableApplicationContext client = start();
		assertThat(client.getBean(Tracer.class)).isNotSameAs(Tracer.NOOP);
		MeterRegistry meters = runOperation(client);
		assertRecordedOnce(meters, true);
	}

	@Test
	void observationPathIsForcedWithoutATracer() throws Exception {
		MeterRegistry meters = runOperation(start(NO_TRACING, "grpc.scale.metrics.operation-meter=observation"));
		assertRecordedOnce(meters, true);
	}

	@Test
	void timerPathIsForcedWithATracer() throws Exception {
		MeterRegistry meters = runOperation(start("grpc.scale.metrics.operation-meter=timer"));
		assertRecordedOnce(meters, false);
	}

	@Test
	void timerPathFollowsMetricsEnabled() throws Exception {
		MeterRegistry meters = runOperation(
				start("grpc.scale.metrics.operation-meter=timer", "grpc.scale.metrics.enabled=false"));
		assertThat(meters.find(DefaultOperationObservationConvention.NAME).timers()).isEmpty();
	}

	@Test
	void bootsObservationSwitchStillTurnsTheOperationMeterOffOnTheTimerPath() throws Exception {
		MeterRegistry meters = runOperation(start(NO_TRACING, "management.observations.enable.grpc.scale=false"));
		assertThat(meters.find(DefaultOperationObservationConvention.NAME).timers()).isEmpty();
	}

	@Test
	void bootsCommonObservationKeyValuesTagTheTimerAsTheyTagTheObservation() throws Exception {
		for (String path : new String[] { "timer", "observation" }) {
			MeterRegistry meters = runOperation(start(NO_TRACING, "management.observations.key-values.region=eu",
					"grpc.scale.metrics.operation-meter=" + path));
			assertThat(meters.get(DefaultOperationObservationConvention.NAME)
				.tags("region", "eu", DefaultOperationObservationConvention.OUTCOME, "success", "error", "none")
				.timer()
				.count()).as(path).isOne();
		}
	}

	private ConfigurableApplicationContext start(String... properties) {
		ConfigurableApplicationContext context = TestServices.startClient(TestServices.uniqueNamespace(), properties);
		this.contexts.add(context);
		return context;
	}

	private static MeterRegistry runOperation(ConfigurableApplicationContext client) throws Exception {
		assertThat(client.getBean(EnhancedServiceManager.class).executeWithEnhancements(() -> "priced", "load-prices"))
			.isEqualTo("priced");
		return client.getBean(MeterRegistry.class);
	}

	/** One success on the timer; the long-task timer only the observation path's meter handler keeps. */
	private static void assertRecordedOnce(MeterRegistry meters, boolean observed) {
		assertThat(meters.get(DefaultOperationObservationConvention.NAME)
			.tags(DefaultOperationObservationConvention.OPERATION, "load-prices",
					DefaultOperationObservationConvention.OUTCOME, "success", "error", "none")
			.timer()
			.count()).isOne();
		assertThat(meters.find(ACTIVE).longTaskTimer() != null).isEqualTo(observed);
	}

}
