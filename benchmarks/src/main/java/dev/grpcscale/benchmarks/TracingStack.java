package dev.grpcscale.benchmarks;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.handler.TracingAwareMeterObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.jspecify.annotations.Nullable;

/**
 * Tracing wired as Spring Boot wires it for gRPC: an {@link ObservationRegistry} whose handlers are
 * Micrometer Tracing's sender, receiver and default tracing handlers on the OpenTelemetry bridge, an OTel
 * SDK tracer provider sampling {@code parentBased(traceIdRatioBased(p))}, W3C propagation, and a
 * {@link BatchSpanProcessor} whose exporter only counts the spans (no network, no memory growth). Given a
 * {@link MeterRegistry}, the registry also gets the meter handler Boot adds when one exists (a
 * {@link DefaultMeterObservationHandler} wrapped for exemplars in a {@link TracingAwareMeterObservationHandler}),
 * in a group of its own beside the tracing handlers, as Boot groups them.
 *
 * <p>Close it to flush and stop the span processor.
 */
public final class TracingStack implements AutoCloseable {

	private final SdkTracerProvider tracerProvider;

	private final ObservationRegistry observationRegistry;

	private final CountingSpanExporter exporter = new CountingSpanExporter();

	/**
	 * Builds the stack.
	 * @param samplingProbability the share of traces sampled, 0 to 1 (grpc-scale's default 0.1)
	 */
	public TracingStack(double samplingProbability) {
		this(samplingProbability, null);
	}

	/**
	 * Builds the stack with observations timed into a meter registry as well.
	 * @param samplingProbability the share of traces sampled, 0 to 1 (grpc-scale's default 0.1)
	 * @param meters the registry observations record timers into, or {@code null} for none
	 */
	public TracingStack(double samplingProbability, @Nullable MeterRegistry meters) {
		this.tracerProvider = SdkTracerProvider.builder()
			.setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(samplingProbability)))
			.addSpanProcessor(BatchSpanProcessor.builder(this.exporter).build())
			.build();
		io.opentelemetry.api.trace.Tracer otelTracer = this.tracerProvider.get("grpc-scale-benchmarks");
		OtelCurrentTraceContext currentTraceContext = new OtelCurrentTraceContext();
		OtelTracer tracer = new OtelTracer(otelTracer, currentTraceContext, (event) -> {
		}, new OtelBaggageManager(currentTraceContext, List.of(), List.of()));
		OtelPropagator propagator = new OtelPropagator(
				ContextPropagators.create(W3CTraceContextPropagator.getInstance()), otelTracer);
		this.observationRegistry = ObservationRegistry.create();
		if (meters != null) {
			this.observationRegistry.observationConfig()
				.observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
						new TracingAwareMeterObservationHandler<>(new DefaultMeterObservationHandler(meters), tracer)));
		}
		this.observationRegistry.observationConfig()
			.observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
					new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
					new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
					new DefaultTracingObservationHandler(tracer)));
	}

	/** The registry to give the gRPC observation interceptors. */
	public ObservationRegistry observationRegistry() {
		return this.observationRegistry;
	}

	/** Spans exported so far (sampled and ended). */
	public long exportedSpans() {
		this.tracerProvider.forceFlush().join(5, TimeUnit.SECONDS);
		return this.exporter.exported.sum();
	}

	@Override
	public void close() {
		this.tracerProvider.shutdown().join(5, TimeUnit.SECONDS);
	}

	/** Counts what it is given and drops it. */
	private static final class CountingSpanExporter implements SpanExporter {

		final LongAdder exported = new LongAdder();

		@Override
		public CompletableResultCode export(Collection<SpanData> spans) {
			this.exported.add(spans.size());
			return CompletableResultCode.ofSuccess();
		}

		@Override
		public CompletableResultCode flush() {
			return CompletableResultCode.ofSuccess();
		}

		@Override
		public CompletableResultCode shutdown() {
			return CompletableResultCode.ofSuccess();
		}

	}

}
