package dev.grpcscale.autoconfigure.tracing;

import java.util.Collection;
import java.util.concurrent.atomic.LongAdder;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * A {@link SpanExporter} that counts, for the status's {@code tracing} section, the spans its delegate
 * delivered ({@code exported}: the export's result succeeded) and lost ({@code dropped}: it failed; the batch
 * span processor does not retry a failed export). What it is given and returns is the delegate's, unchanged.
 */
final class CountingSpanExporter implements SpanExporter {

	private final SpanExporter delegate;

	private final LongAdder exported = new LongAdder();

	private final LongAdder dropped = new LongAdder();

	CountingSpanExporter(SpanExporter delegate) {
		this.delegate = delegate;
	}

	@Override
	public CompletableResultCode export(Collection<SpanData> spans) {
		int count = spans.size();
		CompletableResultCode result;
		try {
			result = this.delegate.export(spans);
		}
		catch (RuntimeException ex) {
			this.dropped.add(count);
			throw ex;
		}
		result.whenComplete(() -> (result.isSuccess() ? this.exported : this.dropped).add(count));
		return result;
	}

	@Override
	public CompletableResultCode flush() {
		return this.delegate.flush();
	}

	@Override
	public CompletableResultCode shutdown() {
		return this.delegate.shutdown();
	}

	@Override
	public void close() {
		this.delegate.close();
	}

	/** Spans the delegate delivered. */
	long exported() {
		return this.exported.sum();
	}

	/** Spans in exports that failed. */
	long dropped() {
		return this.dropped.sum();
	}

	SpanExporter delegate() {
		return this.delegate;
	}

	@Override
	public String toString() {
		return "Counting[" + this.delegate + "]";
	}

}
