package dev.grpcscale.autoconfigure.tracing;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.grpc.ManagedChannel;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.client.GrpcChannelFactory;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.autoconfigure.tracing.OtlpTraceReceiver.ReceivedSpan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two services over real Netty, calling through {@code discovery:///}, exporting to a real OTLP/gRPC
 * receiver through Boot's OpenTelemetry support as configured by {@code grpc.scale.tracing.*}.
 */
class TracingEndToEndTests {

	@Test
	void operationClientAndServerSpansShareOneTraceWithConfiguredServiceNamesAndTags() throws Exception {
		try (OtlpTraceReceiver receiver = new OtlpTraceReceiver()) {
			String namespace = TestServices.uniqueNamespace();
			ConfigurableApplicationContext server = TestServices.startServer("product-service", "p1", namespace,
					tracing(receiver, "1.0", "products-traced"));
			ConfigurableApplicationContext client = TestServices.startClient(namespace,
					tracing(receiver, "1.0", "users-traced"));
			ManagedChannel channel = client.getBean(GrpcChannelFactory.class).createChannel("discovery:///product-service");
			try {
				String answer = client.getBean(EnhancedServiceManager.class)
					.executeWithEnhancements(() -> SimpleServiceGrpc.newBlockingStub(channel)
						.withDeadlineAfter(Duration.ofSeconds(5))
						.unaryRpc(SimpleRequest.getDefaultInstance())
						.getResponseMessage(), "get-product");
				assertThat(answer).isEqualTo("p1");
			}
			finally {
				channel.shutdownNow();
				client.close();
				server.close();
			}
			await().atMost(Duration.ofSeconds(10)).until(() -> receiver.spans().stream()
				.map((span) -> span.span().getKind())
				.collect(Collectors.toSet())
				.containsAll(Set.of(SpanKind.SPAN_KIND_CLIENT, SpanKind.SPAN_KIND_SERVER)));
			List<ReceivedSpan> rpcSpans = receiver.spans()
				.stream()
				.filter((span) -> span.span().getName().contains("SimpleService"))
				.toList();
			ReceivedSpan clientSpan = rpcSpans.stream()
				.filter((span) -> span.span().getKind() == SpanKind.SPAN_KIND_CLIENT)
				.findFirst()
				.orElseThrow();
			ReceivedSpan serverSpan = rpcSpans.stream()
				.filter((span) -> span.span().getKind() == SpanKind.SPAN_KIND_SERVER)
				.findFirst()
				.orElseThrow();
			ReceivedSpan operationSpan = receiver.spans()
				.stream()
				.filter((span) -> span.span().getName().equals("get-product"))
				.findFirst()
				.orElseThrow();
			assertThat(operationSpan.traceId()).isEqualTo(clientSpan.traceId());
			assertThat(clientSpan.span().getParentSpanId()).isEqualTo(operationSpan.span().getSpanId());
			assertThat(operationSpan.spanAttribute("grpc.scale.outcome")).isEqualTo("success");
			assertThat(clientSpan.traceId()).isEqualTo(serverSpan.traceId());
			assertThat(serverSpan.span().getParentSpanId()).isEqualTo(clientSpan.span().getSpanId());
			assertThat(clientSpan.resourceAttribute("service.name")).isEqualTo("users-traced");
			assertThat(serverSpan.resourceAttribute("service.name")).isEqualTo("products-traced");
			assertThat(clientSpan.resourceAttribute("team")).isEqualTo("checkout");
			assertThat(serverSpan.resourceAttribute("team")).isEqualTo("checkout");
		}
	}

	@Test
	void tracingDisabledExportsNoSpanOfTheApplicationNeitherOperationNorCall() throws Exception {
		try (OtlpTraceReceiver receiver = new OtlpTraceReceiver()) {
			String namespace = TestServices.uniqueNamespace();
			ConfigurableApplicationContext server = TestServices.startServer("product-service", "p1", namespace,
					tracing(receiver, "1.0", "products-traced"));
			String[] properties = java.util.stream.Stream
				.concat(java.util.Arrays.stream(tracing(receiver, "1.0", "users-traced")),
						java.util.stream.Stream.of("grpc.scale.tracing.enabled=false"))
				.toArray(String[]::new);
			ConfigurableApplicationContext client = TestServices.startClient(namespace, properties);
			ManagedChannel channel = client.getBean(GrpcChannelFactory.class).createChannel("discovery:///product-service");
			try {
				client.getBean(EnhancedServiceManager.class)
					.executeWithEnhancements(() -> SimpleServiceGrpc.newBlockingStub(channel)
						.withDeadlineAfter(Duration.ofSeconds(5))
						.unaryRpc(SimpleRequest.getDefaultInstance()), "get-product");
			}
			finally {
				channel.shutdownNow();
				client.close();
				server.close();
			}
			// the server, still tracing, records the call it serves as a trace of its own
			await().atMost(Duration.ofSeconds(10))
				.until(() -> receiver.spans().stream().anyMatch((span) -> span.span().getKind() == SpanKind.SPAN_KIND_SERVER));
			assertThat(receiver.spans()).noneMatch((span) -> "users-traced".equals(span.resourceAttribute("service.name")))
				.noneMatch((span) -> span.span().getKind() == SpanKind.SPAN_KIND_CLIENT)
				.noneMatch((span) -> span.span().getName().equals("get-product"))
				.allMatch((span) -> span.span().getParentSpanId().isEmpty());
		}
	}

	@Test
	void samplingZeroExportsNothing() throws Exception {
		assertThat(sampledTraces("0.0", 200)).isZero();
	}

	@Test
	void samplingOneExportsEveryTrace() throws Exception {
		assertThat(sampledTraces("1.0", 200)).isEqualTo(200);
	}

	@Test
	void samplingTenPercentExportsABinomialShareOfTraces() throws Exception {
		// n = 2000, p = 0.1: mean 200, standard deviation 13.4; 5 standard deviations either side
		assertThat(sampledTraces("0.1", 2000)).isBetween(133L, 267L);
	}

	private long sampledTraces(String rate, int traces) throws Exception {
		try (OtlpTraceReceiver receiver = new OtlpTraceReceiver()) {
			ConfigurableApplicationContext client = TestServices.startClient(TestServices.uniqueNamespace(),
					tracing(receiver, rate, "sampler"));
			ObservationRegistry registry = client.getBean(ObservationRegistry.class);
			for (int i = 0; i < traces; i++) {
				Observation.createNotStarted("sampling-probe", registry).observe(() -> {
				});
			}
			// closing the context flushes the batch span processor
			client.close();
			return receiver.spans()
				.stream()
				.filter((span) -> span.span().getName().equals("sampling-probe"))
				.map(ReceivedSpan::traceId)
				.distinct()
				.count();
		}
	}

	private static String[] tracing(OtlpTraceReceiver receiver, String rate, String serviceName) {
		Map<String, String> properties = Map.of("grpc.scale.tracing.sampling-rate", rate,
				"grpc.scale.tracing.service-name", serviceName, "grpc.scale.tracing.tags.team", "checkout",
				"grpc.scale.tracing.jaeger-endpoint", receiver.endpoint(),
				// the receiver speaks OTLP/gRPC on a free port rather than 4317: say so with Boot's property
				"management.opentelemetry.tracing.export.otlp.transport", "grpc",
				"management.opentelemetry.tracing.export.max-queue-size", "10000",
				"management.opentelemetry.tracing.export.schedule-delay", "100ms");
		return properties.entrySet().stream().map((e) -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
	}

}
