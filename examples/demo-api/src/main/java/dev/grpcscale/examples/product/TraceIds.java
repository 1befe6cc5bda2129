package dev.grpcscale.examples.product;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.springframework.beans.factory.ObjectProvider;

/** The current trace id for the example services' answers, or {@code ""} without tracing. */
public final class TraceIds {

	private TraceIds() {
	}

	/**
	 * The id of the trace the calling thread is in.
	 * @param tracer the tracer, if tracing is on the classpath
	 * @return the trace id, or {@code ""}
	 */
	public static String current(ObjectProvider<Tracer> tracer) {
		Tracer available = tracer.getIfAvailable();
		Span span = (available != null) ? available.currentSpan() : null;
		return (span != null) ? span.context().traceId() : "";
	}

}
