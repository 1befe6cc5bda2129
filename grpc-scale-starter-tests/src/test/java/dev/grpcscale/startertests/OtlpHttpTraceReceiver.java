package dev.grpcscale.startertests;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;

/**
 * An OTLP/HTTP trace receiver on 127.0.0.1 (what Jaeger serves on 4318): decodes every protobuf
 * {@code ExportTraceServiceRequest} posted to it and records each span with its resource and the path
 * it was posted to.
 */
final class OtlpHttpTraceReceiver implements AutoCloseable {

	private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();

	private final List<String> requests = new CopyOnWriteArrayList<>();

	private final HttpServer server;

	OtlpHttpTraceReceiver() throws IOException {
		this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		this.server.createContext("/", this::handle);
		this.server.start();
	}

	/** The URL to configure as {@code grpc.scale.tracing.jaeger-endpoint}: no path, as for Jaeger. */
	String endpoint() {
		return "http://127.0.0.1:" + this.server.getAddress().getPort();
	}

	/** Method and path of every request received, in order. */
	List<String> requests() {
		return List.copyOf(this.requests);
	}

	List<ReceivedSpan> spans() {
		return List.copyOf(this.spans);
	}

	private void handle(HttpExchange exchange) throws IOException {
		try (exchange) {
			this.requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
			InputStream body = exchange.getRequestBody();
			if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
				body = new GZIPInputStream(body);
			}
			ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body);
			for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
				for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
					for (Span span : scopeSpans.getSpansList()) {
						this.spans.add(new ReceivedSpan(exchange.getRequestURI().getPath(), resourceSpans.getResource(),
								span));
					}
				}
			}
			byte[] response = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
			exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
			exchange.sendResponseHeaders(200, (response.length > 0) ? response.length : -1);
			if (response.length > 0) {
				exchange.getResponseBody().write(response);
			}
		}
	}

	@Override
	public void close() {
		this.server.stop(0);
	}

	record ReceivedSpan(String path, Resource resource, Span span) {

		String name() {
			return this.span.getName();
		}

		SpanKind kind() {
			return this.span.getKind();
		}

		String serviceName() {
			return resourceAttribute("service.name");
		}

		String resourceAttribute(String key) {
			return attribute(this.resource.getAttributesList(), key);
		}

		String traceId() {
			return HexFormat.of().formatHex(this.span.getTraceId().toByteArray());
		}

		String spanId() {
			return HexFormat.of().formatHex(this.span.getSpanId().toByteArray());
		}

		String parentSpanId() {
			return HexFormat.of().formatHex(this.span.getParentSpanId().toByteArray());
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
