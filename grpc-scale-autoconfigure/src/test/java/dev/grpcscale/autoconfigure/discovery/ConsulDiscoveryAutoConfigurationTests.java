package dev.grpcscale.autoconfigure.discovery;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.InvalidGrpcScalePropertiesFailureAnalyzer;
import dev.grpcscale.autoconfigure.TestServices;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceRegistry;
import dev.grpcscale.discovery.consul.ConsulServiceRegistry;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Consul provider chosen by {@code grpc.scale.service-discovery.provider=consul}, against a local fake
 * agent ({@link FakeConsulAgent}).
 */
class ConsulDiscoveryAutoConfigurationTests {

	private static final String TOKEN = "s3cr3t-acl-token";

	private FakeConsulAgent agent;

	private ApplicationContextRunner runner;

	@BeforeEach
	void startAgent() throws IOException {
		this.agent = new FakeConsulAgent();
		this.agent.serveRegisteredServicesAsPassing();
		this.runner = new ApplicationContextRunner()
			.withConfiguration(
					AutoConfigurations.of(GrpcScaleAutoConfiguration.class, GrpcScaleDiscoveryAutoConfiguration.class))
			.withPropertyValues("spring.application.name=orders", "grpc.scale.cluster.enabled=false",
					"grpc.scale.service-discovery.provider=consul",
					"grpc.scale.service-discovery.consul.host=127.0.0.1",
					"grpc.scale.service-discovery.consul.port=" + this.agent.port());
	}

	@AfterEach
	void stopAgent() {
		this.agent.close();
	}

	@Test
	void consulProviderRegistersWithTheAgentAndDiscoversThroughBlockingQueries() {
		this.runner
			.withPropertyValues("grpc.scale.service-discovery.consul.token=" + TOKEN,
					"grpc.scale.service-discovery.consul.check-type=ttl",
					"grpc.scale.service-discovery.consul.check-interval=3s",
					"grpc.scale.service-discovery.consul.deregister-critical-after=2m",
					"grpc.scale.service-discovery.consul.tags=blue,v2",
					"grpc.scale.service-discovery.consul.blocking-query-wait=5s")
			.run((context) -> {
				assertThat(context).hasSingleBean(ConsulServiceRegistry.class)
					.doesNotHaveBean(InMemoryServiceRegistry.class);
				EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
				manager.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090));
				await().atMost(Duration.ofSeconds(5)).until(() -> manager.discoverServices("orders").size() == 1);
				assertThat(manager.discoverServices("orders").get(0).port()).isEqualTo(9090);
				String instanceId = manager.discoverServices("orders").get(0).instanceId();
				var registration = this.agent.registration(instanceId);
				assertThat(registration.get("Tags").toString()).isEqualTo("[\"blue\",\"v2\"]");
				assertThat(registration.get("Check").get("TTL").asString()).isEqualTo("3s");
				assertThat(registration.get("Check").get("DeregisterCriticalServiceAfter").asString()).isEqualTo("2m");
				assertThat(this.agent.requests()).isNotEmpty()
					.allSatisfy((request) -> assertThat(request.header("X-Consul-Token")).containsExactly(TOKEN));
				assertThat(this.agent.requests("GET", "/v1/health/service/orders")).isNotEmpty();
				var backend = manager.getEnhancedServiceStatus().discovery().backend();
				assertThat(backend.provider()).isEqualTo("consul");
				assertThat(backend.toString()).doesNotContain(TOKEN);
				assertThat(context.getBean(ConsulServiceRegistry.class).toString()).doesNotContain(TOKEN);
			});
		// the context's graceful shutdown deregistered the instance
		assertThat(this.agent.requests("PUT", "/v1/agent/service/deregister/")).isNotEmpty();
	}

	@Test
	void grpcCheckIsTheDefault() {
		this.runner.run((context) -> {
			context.getBean(EnhancedServiceManager.class)
				.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090));
			String id = context.getBean(ServiceDiscovery.class).getInstances("orders").get(0).instanceId();
			assertThat(this.agent.registration(id).get("Check").get("GRPC").asString()).isEqualTo("127.0.0.1:9090");
			assertThat(this.agent.registration(id).get("Check").get("Interval").asString()).isEqualTo("10s");
		});
	}

	@Test
	void userRegistryReplacesTheConsulOne() {
		this.runner.withUserConfiguration(UserRegistryConfiguration.class).run((context) -> {
			assertThat(context).doesNotHaveBean(ConsulServiceRegistry.class);
			assertThat(context.getBean(ServiceRegistry.class))
				.isSameAs(context.getBean(UserRegistryConfiguration.class).registry);
		});
	}

	@Test
	void discoveryDisabledCreatesNoConsulRegistry() {
		this.runner.withPropertyValues("grpc.scale.service-discovery.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(ConsulServiceRegistry.class));
	}

	@Test
	void consulProviderWithoutJacksonStopsStartUpSayingWhatToAdd() {
		this.runner.withClassLoader(new FilteredClassLoader("tools.jackson")).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.service-discovery.provider: 'consul' (expected: tools.jackson.core:jackson-databind on the classpath");
		});
	}

	@Test
	void unknownCheckTypeStopsStartUpNamingTheProperty() {
		this.runner.withPropertyValues("grpc.scale.service-discovery.consul.check-type=http").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(new InvalidGrpcScalePropertiesFailureAnalyzer().analyze(context.getStartupFailure())
				.getDescription()).contains("Property: grpc.scale.service-discovery.consul.check-type")
				.contains("Value: 'http'")
				.contains("Expected: one of grpc, ttl");
		});
	}

	@Test
	void valueRejectedByTheBuilderStopsStartUpNamingTheProperty() {
		this.runner.withPropertyValues("grpc.scale.service-discovery.consul.blocking-query-wait=11m").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.service-discovery.consul.blocking-query-wait: 'PT11M' (expected: > 0 and <= PT10M)");
		});
		this.runner.withPropertyValues("grpc.scale.service-discovery.consul.watch-idle-timeout=0s").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining(
					"grpc.scale.service-discovery.consul.watch-idle-timeout: 'PT0S' (expected: a duration > 0");
		});
	}

	@Test
	void unwatchedServiceStopsBeingQueriedAfterTheWatchIdleTimeout() {
		this.runner.withPropertyValues("grpc.scale.service-discovery.consul.watch-idle-timeout=300ms",
				"grpc.scale.service-discovery.consul.blocking-query-wait=1s")
			.run((context) -> {
				ConsulServiceRegistry registry = context.getBean(ConsulServiceRegistry.class);
				registry.getInstances("inventory");
				assertThat(registry.status().details()).containsEntry("watchedServices", 1);
				await().atMost(Duration.ofSeconds(10))
					.until(() -> registry.status().details().get("watchedServices").equals(0));
			});
	}

	@Test
	void blankTokenIsRejectedWithoutShowingIt() {
		this.runner.withPropertyValues("grpc.scale.service-discovery.consul.token= ").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure())
				.hasStackTraceContaining("grpc.scale.service-discovery.consul.token: 'blank' (expected: an ACL token)");
		});
	}

	@Test
	void unreadableTrustStoreStopsStartUpWithoutShowingItsPassword(@TempDir Path directory) throws Exception {
		Path trustStore = directory.resolve("trust.p12");
		KeyStore store = KeyStore.getInstance("PKCS12");
		store.load(null, null);
		try (OutputStream out = Files.newOutputStream(trustStore)) {
			store.store(out, "right-password".toCharArray());
		}
		this.runner
			.withPropertyValues("grpc.scale.service-discovery.consul.tls.trust-store=" + trustStore,
					"grpc.scale.service-discovery.consul.tls.trust-store-password=wrong-password")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure())
					.hasStackTraceContaining("grpc.scale.service-discovery.consul.tls.trust-store: '" + trustStore + "'");
				java.io.StringWriter trace = new java.io.StringWriter();
				context.getStartupFailure().printStackTrace(new java.io.PrintWriter(trace));
				assertThat(trace.toString()).doesNotContain("wrong-password");
			});
		this.runner
			.withPropertyValues("grpc.scale.service-discovery.consul.tls.trust-store=" + trustStore,
					"grpc.scale.service-discovery.consul.tls.trust-store-password=right-password")
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(ConsulServiceRegistry.class));
	}

	@Configuration(proxyBeanMethods = false)
	static class UserRegistryConfiguration {

		final InMemoryServiceRegistry registry = InMemoryServiceRegistry.shared(TestServices.uniqueNamespace());

		@Bean
		InMemoryServiceRegistry userRegistry() {
			return this.registry;
		}

	}

}
