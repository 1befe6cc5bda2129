package dev.grpcscale.startertests;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.grpc.ManagedChannel;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.util.ClassUtils;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.startertests.OtlpHttpTraceReceiver.ReceivedSpan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tracing with grpc-scale's starter alone on the classpath, configured through {@code grpc.scale.tracing.*}
 * only: spans of gRPC calls (Boot's observation interceptors, through a {@code discovery:///} channel) and
 * of {@code executeWithEnhancements} reach an OTLP/HTTP receiver at {@code jaeger-endpoint}, and the callee
 * follows the caller's sampling decision. Each application is closed before the spans are read: closing
 * flushes its batch span processor.
 */
@ExtendWith(OutputCaptureExtension.class)
class StarterTracingTests {

	private static final String UNARY_RPC = "grpc.testing.SimpleService/UnaryRpc";

	private final List<ConfigurableApplicationContext> applications = new ArrayList<>();

	private final List<OtlpHttpTraceReceiver> receivers = new ArrayList<>();

	@AfterEach
	void stop() {
		this.applications.forEach(ConfigurableApplicationContext::close);
		this.receivers.forEach(OtlpHttpTraceReceiver::close);
	}

	@Test
	void spansOfTheCallAndOfTheOperationReachTheJaegerEndpointWithServiceNameAndTags() throws Exception {
		OtlpHttpTraceReceiver receiver = receiver();
		String namespace = StarterApplications.uniqueNamespace();
		ConfigurableApplicationContext callee = run("product-service", namespace, tracing(receiver, "1.0", "products"));
		ConfigurableApplicationContext caller = run("user-service", namespace, tracing(receiver, "1.0", "users"));

		assertThat(callProductService(caller)).isEqualTo("product-service");
		caller.close();
		callee.close();

		await().atMost(Duration.ofSeconds(20))
			.until(() -> receiver.spans().stream().filter((span) -> span.name().equals(UNARY_RPC)).count() >= 2);
		assertThat(receiver.requests()).isNotEmpty().allMatch("POST /v1/traces"::equals);
		ReceivedSpan operation = only(receiver, "get-product", SpanKind.SPAN_KIND_INTERNAL);
		ReceivedSpan client = only(receiver, UNARY_RPC, SpanKind.SPAN_KIND_CLIENT);
		ReceivedSpan server = only(receiver, UNARY_RPC, SpanKind.SPAN_KIND_SERVER);
		assertThat(client.traceId()).isEqualTo(operation.traceId()).isEqualTo(server.traceId());
		assertThat(client.parentSpanId()).isEqualTo(operation.spanId());
		assertThat(server.parentSpanId()).isEqualTo(client.spanId());
		assertThat(operation.serviceName()).isEqualTo("users");
		assertThat(client.serviceName()).isEqualTo("users");
		assertThat(server.serviceName()).isEqualTo("products");
		assertThat(List.of(operation, client, server))
			.allSatisfy((span) -> assertThat(span.resourceAttribute("team")).isEqualTo("checkout"));
	}

	@Test
	void aCallTheCallerSampledIsTracedByTheCalleeEvenAtACalleeRateOfZero() throws Exception {
		OtlpHttpTraceReceiver receiver = receiver();
		String namespace = StarterApplications.uniqueNamespace();
		ConfigurableApplicationContext callee = run("product-service", namespace, tracing(receiver, "0.0", "products"));
		ConfigurableApplicationContext caller = run("user-service", namespace, tracing(receiver, "1.0", "users"));

		callProductService(caller);
		caller.close();
		callee.close();

		await().atMost(Duration.ofSeconds(20))
			.until(() -> receiver.spans()
				.stream()
				.anyMatch((span) -> span.name().equals(UNARY_RPC) && span.kind() == SpanKind.SPAN_KIND_SERVER));
		ReceivedSpan client = only(receiver, UNARY_RPC, SpanKind.SPAN_KIND_CLIENT);
		ReceivedSpan server = only(receiver, UNARY_RPC, SpanKind.SPAN_KIND_SERVER);
		assertThat(server.serviceName()).isEqualTo("products");
		assertThat(server.traceId()).isEqualTo(client.traceId());
		assertThat(server.parentSpanId()).isEqualTo(client.spanId());
	}

	@Test
	void aCallTheCallerDidNotSampleCreatesNoSpanInTheCalleeEvenAtACalleeRateOfOne() throws Exception {
		OtlpHttpTraceReceiver receiver = receiver();
		String namespace = StarterApplications.uniqueNamespace();
		ConfigurableApplicationContext callee = run("product-service", namespace, tracing(receiver, "1.0", "products"));
		ConfigurableApplicationContext caller = run("user-service", namespace, tracing(receiver, "0.0", "users"));

		assertThat(callProductService(caller)).isEqualTo("product-service");
		// the callee samples and exports what starts in it: proof that its silence about the call is a decision
		Observation.createNotStarted("callee-own-work", callee.getBean(ObservationRegistry.class)).observe(() -> {
		});
		caller.close();
		callee.close();

		await().atMost(Duration.ofSeconds(20))
			.until(() -> receiver.spans().stream().anyMatch((span) -> span.name().equals("callee-own-work")));
		// (the callee may still trace the health probes the caller's health checker sends it: roots of their own)
		assertThat(receiver.spans()).noneMatch((span) -> span.name().equals(UNARY_RPC))
			.noneMatch((span) -> "users".equals(span.serviceName()));
	}

	@Test
	void withoutAnEndpointNothingIsExportedAndNothingIsLoggedAboutExport(CapturedOutput output) throws Exception {
		ConfigurableApplicationContext application = run("product-service", StarterApplications.uniqueNamespace(),
				"grpc.scale.tracing.sampling-rate=1.0", "grpc.scale.tracing.service-name=products");

		assertThat(callProductService(application)).isEqualTo("product-service");
		assertThat(application.getBeansOfType(SpanExporter.class)).isEmpty();
		assertThat(ClassUtils.isPresent("io.micrometer.registry.otlp.OtlpMeterRegistry", null))
			.as("the starter leaves OTLP metrics export out: it would push to localhost:4318 and warn")
			.isFalse();
		application.close();

		assertThat(output).doesNotContainIgnoringCase("export")
			.doesNotContainIgnoringCase("otlp")
			.doesNotContain("4318")
			.doesNotContain("4317");
	}

	@Test
	void tracingDisabledExportsNothingEvenWithAnEndpointAndFullSampling() throws Exception {
		OtlpHttpTraceReceiver receiver = receiver();
		String[] tracing = tracing(receiver, "1.0", "products");
		String[] disabled = java.util.Arrays.copyOf(tracing, tracing.length + 1);
		disabled[tracing.length] = "grpc.scale.tracing.enabled=false";
		ConfigurableApplicationContext application = run("product-service", StarterApplications.uniqueNamespace(),
				disabled);

		assertThat(callProductService(application)).isEqualTo("product-service");
		Observation.createNotStarted("own-work", application.getBean(ObservationRegistry.class)).observe(() -> {
		});
		assertThat(application.getBeansOfType(SpanExporter.class)).isEmpty();
		application.close();

		assertThat(receiver.requests()).isEmpty();
	}

	private OtlpHttpTraceReceiver receiver() throws Exception {
		OtlpHttpTraceReceiver receiver = new OtlpHttpTraceReceiver();
		this.receivers.add(receiver);
		return receiver;
	}

	private ConfigurableApplicationContext run(String name, String namespace, String... properties) {
		ConfigurableApplicationContext application = StarterApplications.run(name, namespace, properties);
		this.applications.add(application);
		return application;
	}

	/** Calls product-service through discovery inside executeWithEnhancements("get-product"). */
	static String callProductService(ConfigurableApplicationContext caller) throws Exception {
		ManagedChannel channel = caller.getBean(GrpcChannelFactory.class).createChannel("discovery:///product-service");
		try {
			return caller.getBean(EnhancedServiceManager.class)
				.executeWithEnhancements(() -> SimpleServiceGrpc.newBlockingStub(channel)
					.withDeadlineAfter(Duration.ofSeconds(10))
					.unaryRpc(SimpleRequest.getDefaultInstance())
					.getResponseMessage(), "get-product");
		}
		finally {
			channel.shutdownNow();
		}
	}

	private static ReceivedSpan only(OtlpHttpTraceReceiver receiver, String name, SpanKind kind) {
		return assertThat(receiver.spans()).filteredOn((span) -> span.name().equals(name) && span.kind() == kind)
			.singleElement()
			.actual();
	}

	/** The seed's tracing block, and nothing else about tracing. */
	private static String[] tracing(OtlpHttpTraceReceiver receiver, String rate, String serviceName) {
		return new String[] { "grpc.scale.tracing.sampling-rate=" + rate,
				"grpc.scale.tracing.service-name=" + serviceName, "grpc.scale.tracing.tags.team=checkout",
				"grpc.scale.tracing.jaeger-endpoint=" + receiver.endpoint() };
	}

}
