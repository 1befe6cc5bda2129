package dev.grpcscale.autoconfigure.tracing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

/**
 * A real OTLP/gRPC trace receiver on 127.0.0.1 (the collector's {@code TraceService}), recording every
 * exported span with its resource.
 */
final class OtlpTraceReceiver implements AutoCloseable {

	private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();

	private final Server server;

	OtlpTraceReceiver() throws IOException {
		this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.addService(new TraceServiceGrpc.TraceServiceImplBase() {
				@Override
				public void export(ExportTraceServiceRequest request,
						StreamObserver<ExportTraceServiceResponse> responseObserver) {
					for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
						for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
							for (Span span : scopeSpans.getSpansList()) {
								OtlpTraceReceiver.this.spans.add(new ReceivedSpan(resourceSpans.getResource(), span));
							}
						}
					}
					responseObserver.onNext(ExportTraceServiceResponse.getDefaultInstance());
					responseObserver.onCompleted();
				}
			})
			.build()
			.start();
	}

	String endpoint() {
		return "http://127.0.0.1:" + this.server.getPort();
	}

	List<ReceivedSpan> spans() {
		return new ArrayList<>(this.spans);
	}

	@Override
	public void close() {
		this.server.shutdownNow();
	}

	record ReceivedSpan(Resource resource, Span span) {

		String resourceAttribute(String key) {
			return attribute(this.resource.getAttributesList(), key);
		}

		String spanAttribute(String key) {
			return attribute(this.span.getAttributesList(), key);
		}

		String traceId() {
			return java.util.HexFormat.of().formatHex(this.span.getTraceId().toByteArray());
		}

		private static String attribute(List<KeyValue> attributes, String key) {
			return attributes.stream()
				.filter((attribute) -> attribute.getKey().equals(key))
				.map(KeyValue::getValue)
				.map(AnyValue::getStringValue)
				.findFirst()
				.orElse(null);
		}

	}

}
