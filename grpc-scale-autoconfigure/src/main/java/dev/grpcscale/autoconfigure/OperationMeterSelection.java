package dev.grpcscale.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.util.ClassUtils;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleMetricsProperties.OperationMeter;

/**
 * Chooses how {@code executeWithEnhancements} records its {@code grpc.scale.operation} meter
 * ({@code grpc.scale.metrics.operation-meter}) and gives the manager's builder either the observation registry
 * or the meter registry, never both, so no run is counted twice:
 * <ul>
 * <li>the observation path (an observation per run: spans, Micrometer's meter handler, the application's
 * handlers) when forced, or with {@code auto} when a micrometer-tracing {@link Tracer} other than
 * {@link Tracer#NOOP} makes spans; only while {@code grpc.scale.tracing.enabled};</li>
 * <li>the timer path (a cached timer with the same name and tags, no observation) when forced, or with
 * {@code auto} otherwise; only while {@code grpc.scale.metrics.enabled} and with a {@link MeterRegistry}
 * bean. With {@code auto} and no meter registry, the observation path as before.</li>
 * </ul>
 * Micrometer's core and tracing types are only touched when they are on the classpath.
 */
final class OperationMeterSelection {

	private static final String METER_REGISTRY = "io.micrometer.core.instrument.MeterRegistry";

	private static final String TRACER = "io.micrometer.tracing.Tracer";

	private OperationMeterSelection() {
	}

	/**
	 * Sets the builder's path.
	 * @param builder the manager's builder
	 * @param metrics {@code grpc.scale.metrics.*}
	 * @param tracing {@code grpc.scale.tracing.*}
	 * @param observations the application's observation registry, if any
	 * @param beans where the meter registry and the tracer are looked up
	 * @param classLoader the application's class loader
	 */
	static void configure(EnhancedServiceManager.Builder builder, GrpcScaleMetricsProperties metrics,
			GrpcScaleTracingProperties tracing, @Nullable ObservationRegistry observations, BeanFactory beans,
			@Nullable ClassLoader classLoader) {
		ObservationRegistry observing = tracing.isEnabled() ? observations : null;
		OperationMeter mode = metrics.getOperationMeter();
		if (mode == OperationMeter.OBSERVATION
				|| (mode == OperationMeter.AUTO && observing != null && tracerMakesSpans(beans, classLoader))) {
			builder.observationRegistry(observing);
			return;
		}
		boolean timed = metrics.isEnabled() && ClassUtils.isPresent(METER_REGISTRY, classLoader)
				&& Meters.timeWith(builder, beans);
		if (!timed && mode == OperationMeter.AUTO) {
			builder.observationRegistry(observing);
		}
	}

	private static boolean tracerMakesSpans(BeanFactory beans, @Nullable ClassLoader classLoader) {
		return ClassUtils.isPresent(TRACER, classLoader) && Tracers.makeSpans(beans);
	}

	/** Loaded only when micrometer-core is present. */
	private static final class Meters {

		static boolean timeWith(EnhancedServiceManager.Builder builder, BeanFactory beans) {
			MeterRegistry registry = beans.getBeanProvider(MeterRegistry.class).getIfUnique();
			builder.meterRegistry(registry);
			return registry != null;
		}

	}

	/** Loaded only when micrometer-tracing is present. */
	private static final class Tracers {

		static boolean makeSpans(BeanFactory beans) {
			Tracer tracer = beans.getBeanProvider(Tracer.class).getIfUnique();
			return tracer != null && tracer != Tracer.NOOP;
		}

	}

}
