package dev.grpcscale.autoconfigure.tracing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Logs one warning, once the context's singletons exist, when {@code grpc.scale.tracing.*} keys are set
 * that the classpath cannot honour:
 * <ul>
 * <li>without Micrometer Tracing's OpenTelemetry bridge and Boot's auto-configuration of it (both from
 * {@code org.springframework.boot:spring-boot-starter-opentelemetry}), every set key among
 * {@code service-name}, {@code sampling-rate}, {@code jaeger-endpoint} and {@code tags.*};</li>
 * <li>with them but without the OTLP exporter ({@code io.opentelemetry:opentelemetry-exporter-otlp}),
 * {@code jaeger-endpoint}.</li>
 * </ul>
 * Nothing is logged when every set key takes effect.
 */
public final class TracingClasspathWarning implements SmartInitializingSingleton, BeanClassLoaderAware {

	static final String OPENTELEMETRY_STARTER = "org.springframework.boot:spring-boot-starter-opentelemetry";

	static final String OTLP_EXPORTER = "io.opentelemetry:opentelemetry-exporter-otlp";

	private static final String PREFIX = "grpc.scale.tracing.";

	private static final String[] TRACER_CLASSES = { "io.micrometer.tracing.otel.bridge.OtelTracer",
			"org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration" };

	private static final String EXPORTER_CLASS = "io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter";

	private static final Log logger = LogFactory.getLog(TracingClasspathWarning.class);

	private final Environment environment;

	private @Nullable ClassLoader classLoader;

	/**
	 * Creates the check for the keys set in an environment.
	 * @param environment the application's environment
	 */
	public TracingClasspathWarning(Environment environment) {
		this.environment = environment;
	}

	@Override
	public void setBeanClassLoader(ClassLoader classLoader) {
		this.classLoader = classLoader;
	}

	@Override
	public void afterSingletonsInstantiated() {
		String warning = warning();
		if (warning != null) {
			logger.warn(warning);
		}
	}

	/**
	 * The warning this classpath and environment call for.
	 * @return the message, or {@code null} when every set key takes effect
	 */
	@Nullable String warning() {
		Binder binder = Binder.get(this.environment);
		boolean tracer = true;
		for (String type : TRACER_CLASSES) {
			tracer &= ClassUtils.isPresent(type, this.classLoader);
		}
		List<String> ineffective = new ArrayList<>();
		if (!tracer) {
			for (String key : List.of("service-name", "sampling-rate")) {
				if (binder.bind(PREFIX + key, Bindable.of(String.class)).isBound()) {
					ineffective.add(PREFIX + key);
				}
			}
			binder.bind(PREFIX + "tags", Bindable.mapOf(String.class, String.class))
				.map(Map::keySet)
				.ifBound((keys) -> keys.forEach((key) -> ineffective.add(PREFIX + "tags." + key)));
		}
		if (binder.bind(PREFIX + "jaeger-endpoint", Bindable.of(String.class)).isBound()
				&& !(tracer && ClassUtils.isPresent(EXPORTER_CLASS, this.classLoader))) {
			ineffective.add(PREFIX + "jaeger-endpoint");
		}
		if (ineffective.isEmpty()) {
			return null;
		}
		String dependency = tracer ? OTLP_EXPORTER : OPENTELEMETRY_STARTER;
		return String.join(", ", ineffective) + ((ineffective.size() == 1) ? " has" : " have")
				+ " no effect: " + (tracer ? "OTLP export" : "tracing") + " needs " + dependency
				+ ", which grpc-scale-spring-boot-starter brings unless it is excluded. Add it back to trace,"
				+ " or remove these keys (grpc.scale.tracing.enabled=false also silences this warning).";
	}

}
