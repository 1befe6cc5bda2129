package dev.grpcscale.autoconfigure;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.validation.FieldError;

import dev.grpcscale.autoconfigure.circuitbreaker.GrpcScaleCircuitBreakerAutoConfiguration;
import dev.grpcscale.autoconfigure.cluster.GrpcScaleClusterAutoConfiguration;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Every invalid value stops start-up, through Boot's binder, with a message naming the key, the value, where
 * it was set and what is expected.
 */
@ExtendWith(OutputCaptureExtension.class)
class GrpcScalePropertiesValidationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(GrpcScaleAutoConfiguration.class, GrpcScaleDiscoveryAutoConfiguration.class,
						GrpcScaleCircuitBreakerAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders");

	@Test
	void zeroDurationIsRejected() {
		assertFailure("grpc.scale.circuit-breaker.recovery-timeout=0s", "grpc.scale.circuit-breaker.recovery-timeout",
				"PT0S", "a duration > 0");
	}

	@Test
	void negativeDurationIsRejected() {
		assertFailure("grpc.scale.health-check.interval=-5s", "grpc.scale.health-check.interval", "PT-5S",
				"a duration > 0");
	}

	@Test
	void samplingRateOutsideZeroToOneIsRejected() {
		assertFailure("grpc.scale.tracing.sampling-rate=1.5", "grpc.scale.tracing.sampling-rate", "1.5",
				"a number from 0.0 to 1.0");
	}

	@Test
	void unknownDiscoveryProviderIsRejectedListingTheProviders() {
		assertAnalysis("grpc.scale.service-discovery.provider=zookeeper", "grpc.scale.service-discovery.provider",
				"zookeeper", "one of memory, etcd, consul");
	}

	@Test
	void unknownClusterProviderIsRejectedListingTheProviders() {
		assertAnalysis("grpc.scale.cluster.provider=zookeeper", "grpc.scale.cluster.provider", "zookeeper",
				"one of memory, etcd, consul, raft");
	}

	@Test
	void providersBindWhateverTheirCase() {
		this.runner.withPropertyValues("grpc.scale.service-discovery.provider=MEMORY", "grpc.scale.cluster.provider=Memory")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void unknownConsulSchemeIsRejectedListingTheSchemes() {
		assertAnalysis("grpc.scale.service-discovery.consul.scheme=ftp", "grpc.scale.service-discovery.consul.scheme",
				"ftp", "one of http, https");
	}

	@Test
	void etcdInboundMessageLimitBelowOneMegabyteIsRejected() {
		assertFailure(new String[] { "grpc.scale.service-discovery.provider=etcd",
				"grpc.scale.service-discovery.etcd.max-inbound-message-size=512KB" },
				"grpc.scale.service-discovery.etcd.max-inbound-message-size", "524288B", ">= 1MB and < 2GB");
		assertFailure(new String[] { "grpc.scale.cluster.provider=etcd",
				"grpc.scale.cluster.etcd.max-inbound-message-size=100KB" },
				"grpc.scale.cluster.etcd.max-inbound-message-size", "102400B", ">= 1MB and < 2GB");
	}

	@Test
	void zeroEtcdServiceIdleTimeoutIsRejected() {
		assertFailure(new String[] { "grpc.scale.service-discovery.provider=etcd",
				"grpc.scale.service-discovery.etcd.service-idle-timeout=0s" },
				"grpc.scale.service-discovery.etcd.service-idle-timeout", "PT0S", "a duration > 0");
	}

	@Test
	void removedClusterEtcdKeysAreRejectedNamingTheKeyToSet() {
		assertFailure("grpc.scale.cluster.etcd.lease-ttl=20s", "grpc.scale.cluster.etcd.lease-ttl", "20s",
				"no value: the key was removed, set grpc.scale.cluster.election-timeout");
		assertFailure("grpc.scale.cluster.etcd.request-timeout=2s", "grpc.scale.cluster.etcd.request-timeout", "2s",
				"no value: the key was removed, set grpc.scale.cluster.election-timeout");
	}

	@Test
	void reportNamesTheFileAndLineWhereTheBadValueWasSet() throws IOException {
		List<PropertySource<?>> yaml = new YamlPropertySourceLoader().load("invalid-yaml",
				new ClassPathResource("grpc-scale-invalid.yml"));
		this.runner.withInitializer((context) -> yaml.forEach(context.getEnvironment().getPropertySources()::addFirst))
			.run((context) -> {
				assertThat(context).hasFailed();
				FailureAnalysis analysis = new InvalidGrpcScalePropertiesFailureAnalyzer()
					.analyze(context.getStartupFailure());
				assertThat(analysis).isNotNull();
				assertThat(analysis.getDescription())
					.contains(String.format("Property: grpc.scale.circuit-breaker.recovery-timeout%n    Value: 'PT0S'%n"
							+ "    Origin: class path resource [grpc-scale-invalid.yml] - 5:25%n"
							+ "    Expected: a duration > 0"))
					.contains(String.format("Property: grpc.scale.circuit-breaker.expected-errors[1]%n"
							+ "    Value: 'TIMEOUT'%n    Origin: class path resource [grpc-scale-invalid.yml] - 3:52"));
			});
	}

	@Test
	void unknownProviderInAFileIsReportedWithItsOrigin() throws IOException {
		List<PropertySource<?>> yaml = new YamlPropertySourceLoader().load("provider-yaml",
				new ClassPathResource("grpc-scale-unknown-provider.yml"));
		this.runner.withInitializer((context) -> yaml.forEach(context.getEnvironment().getPropertySources()::addFirst))
			.run((context) -> {
				assertThat(context).hasFailed();
				FailureAnalysis analysis = new InvalidGrpcScalePropertiesFailureAnalyzer()
					.analyze(context.getStartupFailure());
				assertThat(analysis).isNotNull();
				assertThat(analysis.getDescription()).contains("Property: grpc.scale.service-discovery.provider")
					.contains("Value: 'zookeeper'")
					.contains("Origin: class path resource [grpc-scale-unknown-provider.yml] - 4:17")
					.contains("Expected: one of memory, etcd, consul");
			});
	}

	@Test
	void unknownStatusCodeNameIsRejected() {
		assertFailure("grpc.scale.circuit-breaker.expected-errors=UNAVAILABLE,TIMEOUT",
				"grpc.scale.circuit-breaker.expected-errors[1]", "TIMEOUT",
				"a gRPC status code name: CANCELLED, UNKNOWN");
	}

	@Test
	void duplicateServiceNamesAreRejected() {
		assertFailure(new String[] { "grpc.scale.services[0].name=products", "grpc.scale.services[1].name=products" },
				"grpc.scale.services[1].name", "products", "a name not used by another grpc.scale.services entry");
	}

	@Test
	void defaultedServiceNameCountsAsDuplicate() {
		assertFailure(new String[] { "grpc.scale.services[0].port=9090", "grpc.scale.services[1].name=orders" },
				"grpc.scale.services[1].name", "orders", "a name not used by another");
	}

	@Test
	void portOutsideRangeIsRejected() {
		assertFailure("grpc.scale.services[0].port=70000", "grpc.scale.services[0].port", "70000", "0..65535");
	}

	@Test
	void heartbeatNotSmallerThanElectionTimeoutIsRejected() {
		assertFailure(
				new String[] { "grpc.scale.cluster.heartbeat-interval=15s", "grpc.scale.cluster.election-timeout=15s" },
				"grpc.scale.cluster.heartbeat-interval", "PT15S", "less than grpc.scale.cluster.election-timeout (PT15S)");
	}

	@Test
	void legacyJaegerPortIsRejectedWithTheOtlpPortToUse() {
		assertFailure("grpc.scale.tracing.jaeger-endpoint=http://jaeger:14268/api/traces",
				"grpc.scale.tracing.jaeger-endpoint", "http://jaeger:14268/api/traces", "Jaeger's OTLP port: 4318");
	}

	@Test
	void everyProblemOfAFeatureIsReportedAtOnce() {
		this.runner
			.withPropertyValues("grpc.scale.health-check.timeout=0s", "grpc.scale.health-check.retries=0")
			.run((context) -> {
				assertThat(context).hasFailed();
				BindValidationException ex = findCause(context.getStartupFailure());
				assertThat(ex.getValidationErrors().getAllErrors()).map((error) -> ((FieldError) error).getField())
					.containsExactly("timeout", "retries");
			});
	}

	@Test
	void validDefaultsStartCleanly() {
		this.runner.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void failureAnalyzerIsRegisteredAndPrintsTheReport(CapturedOutput output) {
		SpringApplication application = new SpringApplication(TestServices.ClientApplication.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		assertThatException().isThrownBy(() -> application.run("--spring.application.name=orders",
				"--spring.grpc.server.enabled=false", "--management.otlp.metrics.export.enabled=false",
				"--grpc.scale.tracing.sampling-rate=2"));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("Property: grpc.scale.tracing.sampling-rate")
			.contains("Value: '2.0'")
			.contains("Origin: \"grpc.scale.tracing.sampling-rate\" from property source \"commandLineArgs\"")
			.contains("Expected: a number from 0.0 to 1.0");
	}

	private void assertFailure(String property, String key, String value, String expected) {
		assertFailure(new String[] { property }, key, value, expected);
	}

	private void assertFailure(String[] properties, String key, String value, String expected) {
		this.runner.withPropertyValues(properties).run((context) -> {
			assertThat(context).hasFailed();
			BindValidationException ex = findCause(context.getStartupFailure());
			FailureAnalysis analysis = new InvalidGrpcScalePropertiesFailureAnalyzer()
				.analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).contains("Property: " + key)
				.contains("Value: '" + value + "'")
				.contains("Expected: " + expected);
			assertThat(ex.getMessage()).contains(key + ": '" + value + "' (expected: " + expected);
		});
	}

	/** A value that does not convert (an unknown enum constant): reported by the analyzer only. */
	private void assertAnalysis(String property, String key, String value, String expected) {
		this.runner.withPropertyValues(property).run((context) -> {
			assertThat(context).hasFailed();
			FailureAnalysis analysis = new InvalidGrpcScalePropertiesFailureAnalyzer()
				.analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).contains("Property: " + key)
				.contains("Value: '" + value + "'")
				.contains("Expected: " + expected);
		});
	}

	private static BindValidationException findCause(Throwable failure) {
		Throwable current = failure;
		while (current != null) {
			if (current instanceof BindValidationException ex) {
				return ex;
			}
			current = current.getCause();
		}
		throw new AssertionError("No BindValidationException in " + failure);
	}

}
