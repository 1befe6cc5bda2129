package dev.grpcscale.autoconfigure;

import java.util.Map;

import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleMetricsProperties.OperationMeter;
import dev.grpcscale.metrics.DefaultOperationObservationConvention;
import dev.grpcscale.metrics.OperationContext;
import dev.grpcscale.metrics.OperationObservationConvention;

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
 * Boot's observation properties that users set for this observation keep their meaning on the timer path:
 * {@code management.observations.enable.<name or a prefix of it>=false} (or {@code .all}) records nothing,
 * and {@code management.observations.key-values.*} are added to the timer's tags, as Boot's observation
 * filter adds them to the observation's. Micrometer's core and tracing types are only touched when they are
 * on the classpath.
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
	 * @param convention the application's convention, if any
	 * @param environment where Boot's {@code management.observations.*} are read
	 * @param beans where the meter registry and the tracer are looked up
	 * @param classLoader the application's class loader
	 */
	static void configure(EnhancedServiceManager.Builder builder, GrpcScaleMetricsProperties metrics,
			GrpcScaleTracingProperties tracing, @Nullable ObservationRegistry observations,
			@Nullable OperationObservationConvention convention, Environment environment, BeanFactory beans,
			@Nullable ClassLoader classLoader) {
		ObservationRegistry observing = tracing.isEnabled() ? observations : null;
		OperationMeter mode = metrics.getOperationMeter();
		if (mode == OperationMeter.OBSERVATION
				|| (mode == OperationMeter.AUTO && observing != null && tracerMakesSpans(beans, classLoader))) {
			builder.observationRegistry(observing);
			return;
		}
		OperationObservationConvention naming = (convention != null) ? convention
				: DefaultOperationObservationConvention.INSTANCE;
		Binder binder = Binder.get(environment);
		if (!observationEnabled(binder, naming.getName())) {
			return;
		}
		boolean timed = metrics.isEnabled() && ClassUtils.isPresent(METER_REGISTRY, classLoader)
				&& Meters.timeWith(builder, beans);
		if (timed) {
			Map<String, String> keyValues = binder
				.bind("management.observations.key-values", Bindable.mapOf(String.class, String.class))
				.orElse(Map.of());
			if (!keyValues.isEmpty()) {
				builder.observationConvention(new CommonKeyValuesConvention(naming,
						KeyValues.of(keyValues.entrySet(), Map.Entry::getKey, Map.Entry::getValue)));
			}
		}
		else if (mode == OperationMeter.AUTO) {
			builder.observationRegistry(observing);
		}
	}

	/**
	 * Whether {@code management.observations.enable.*} leaves the observation {@code name} on: the name, then
	 * each shorter prefix of it, then {@code all}; the first one set decides, as Boot's predicate does.
	 */
	private static boolean observationEnabled(Binder binder, String name) {
		Map<String, Boolean> enable = binder
			.bind("management.observations.enable", Bindable.mapOf(String.class, Boolean.class))
			.orElse(Map.of());
		for (String prefix = name; !prefix.isEmpty(); prefix = prefix.substring(0, Math.max(0, prefix.lastIndexOf('.')))) {
			Boolean enabled = enable.get(prefix);
			if (enabled != null) {
				return enabled;
			}
		}
		return enable.getOrDefault("all", true);
	}

	/** A convention plus Boot's common key values, which its observation filter adds on the observation path. */
	private record CommonKeyValuesConvention(OperationObservationConvention delegate,
			KeyValues common) implements OperationObservationConvention {

		@Override
		public String getName() {
			return this.delegate.getName();
		}

		@Override
		public @Nullable String getContextualName(OperationContext context) {
			return this.delegate.getContextualName(context);
		}

		@Override
		public KeyValues getLowCardinalityKeyValues(OperationContext context) {
			return this.delegate.getLowCardinalityKeyValues(context).and(this.common);
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
