package dev.grpcscale.autoconfigure.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.github.resilience4j.core.EventProcessor;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;

import dev.grpcscale.circuitbreaker.CircuitBreakerOpenException;
import dev.grpcscale.circuitbreaker.CircuitBreakerSettings;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.cluster.InMemoryLeaderElection;
import dev.grpcscale.cluster.InMemoryLeaderGroup;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.consul.ConsulCheckType;
import dev.grpcscale.discovery.consul.ConsulServiceRegistry;
import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.test.consul.FakeConsulAgent;
import dev.grpcscale.test.junit.CloseAfterEach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class MeterBindersTests {

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private final MeterRegistry meters = new SimpleMeterRegistry();

	@Test
	void breakerCallsAndStateAreReadFromGrpcScaleCountsPerServiceInstanceAndOperation() throws Exception {
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.builder()
			.defaults(CircuitBreakerSettings.builder().failureThreshold(1).build())
			.build();
		new CircuitBreakerMeterBinder(breakers).bindTo(this.meters);
		assertThat(breakers.execute("load-prices", () -> "ok")).isEqualTo("ok");
		assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(() -> breakers.execute("load-prices", () -> {
			throw Status.UNAVAILABLE.asRuntimeException();
		}));
		breakers.serviceBreaker("orders");
		breakers.instanceBreaker("orders", "i-1");
		assertThatExceptionOfType(CircuitBreakerOpenException.class)
			.isThrownBy(() -> breakers.execute("load-prices", () -> "never"));

		assertThat(calls("load-prices", "none", "successful")).isEqualTo(1);
		assertThat(calls("load-prices", "none", "failed")).isEqualTo(1);
		assertThat(calls("load-prices", "none", "not_permitted")).isEqualTo(1);
		assertThat(this.meters.get(CircuitBreakerMeterBinder.STATE)
			.tags("kind", "operation", "name", "load-prices", "state", "open")
			.gauge()
			.value()).isEqualTo(1);
		assertThat(this.meters.get(CircuitBreakerMeterBinder.STATE)
			.tags("kind", "operation", "name", "load-prices", "state", "closed")
			.gauge()
			.value()).isZero();
		assertThat(this.meters.get(CircuitBreakerMeterBinder.STATE)
			.tags("kind", "service", "name", "orders", "instance.id", "none", "state", "closed")
			.gauge()
			.value()).isEqualTo(1);
		assertThat(this.meters.get(CircuitBreakerMeterBinder.CALLS)
			.tags("kind", "instance", "name", "orders", "instance.id", "i-1")
			.functionCounters()).hasSize(4);
	}

	@Test
	void bindingSubscribesToNoBreakerEventsWhereResilience4jsTaggedMetricsDo() {
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.ofDefaults();
		new CircuitBreakerMeterBinder(breakers).bindTo(this.meters);
		EventProcessor<?> events = (EventProcessor<?>) breakers.serviceBreaker("orders").getEventPublisher();
		assertThat(events.hasConsumers()).isFalse();
		TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers.registry()).bindTo(new SimpleMeterRegistry());
		assertThat(events.hasConsumers()).as("resilience4j's binder times calls through per-call events").isTrue();
	}

	@Test
	void breakersOfTheRegistryThatGrpcScaleDidNotCreateGetNoGrpcScaleMeters() {
		GrpcCircuitBreakers breakers = GrpcCircuitBreakers.ofDefaults();
		new CircuitBreakerMeterBinder(breakers).bindTo(this.meters);
		breakers.registry().circuitBreaker("application-own");
		assertThat(this.meters.getMeters()).noneMatch((meter) -> "application-own".equals(meter.getId().getTag("name")));
	}

	@Test
	void discoveryAndHealthRowsFollowTheServicesAndDepartedServicesLoseThem() {
		InMemoryServiceRegistry registry = this.resources.track(InMemoryServiceRegistry.create());
		registry.register(instance("orders", "o-1", InstanceStatus.UP));
		registry.register(instance("orders", "o-2", InstanceStatus.DOWN));
		registry.register(instance("billing", "b-1", InstanceStatus.UP));
		DiscoveryMeterBinder binder = this.resources.track(new DiscoveryMeterBinder(registry, null, Duration.ofHours(1)));
		binder.bindTo(this.meters);
		binder.refresh();
		assertThat(instances("orders", "up")).isEqualTo(1);
		assertThat(instances("orders", "down")).isEqualTo(1);
		assertThat(instances("billing", "up")).isEqualTo(1);
		assertThat(this.meters.get(DiscoveryMeterBinder.REACHABLE).tag("provider", "memory").gauge().value())
			.isEqualTo(1);

		registry.deregister("billing", "b-1");
		binder.refresh();
		assertThat(this.meters.find(DiscoveryMeterBinder.INSTANCES).tag("service", "billing").gauges()).isEmpty();
		assertThat(instances("orders", "up")).isEqualTo(1);
	}

	@Test
	void consulRegistrationWatchLagAndTtlPassesAreTimedTaggedWithTheProvider() throws Exception {
		FakeConsulAgent agent = this.resources.track(new FakeConsulAgent());
		agent.serveRegisteredServicesAsPassing();
		ConsulServiceRegistry consul = this.resources.track(consul(agent).checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(300))
			.build());
		DiscoveryMeterBinder binder = this.resources.track(new DiscoveryMeterBinder(consul, null, Duration.ofHours(1)));
		binder.bindTo(this.meters);
		List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
		this.resources.track(consul.watch("orders", seen::add));
		await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty());

		consul.register(instance("orders", "o-1", InstanceStatus.UP));

		assertThat(timer(DiscoveryMeterBinder.REGISTRATION, "consul").count()).isEqualTo(1);
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			assertThat(timer(DiscoveryMeterBinder.WATCH_LAG, "consul").count()).isEqualTo(1);
			assertThat(timer(DiscoveryMeterBinder.LEASE_RENEWAL, "consul").count()).isGreaterThanOrEqualTo(2);
		});
		assertThat(timer(DiscoveryMeterBinder.LEASE_RENEWAL, "consul").totalTime(TimeUnit.NANOSECONDS)).isPositive();
	}

	@Test
	void consulWithGrpcChecksGetsNoRenewalTimerSinceTheAgentRunsTheChecks() throws Exception {
		FakeConsulAgent agent = this.resources.track(new FakeConsulAgent());
		ConsulServiceRegistry consul = this.resources.track(consul(agent).build());
		this.resources.track(new DiscoveryMeterBinder(consul, null, Duration.ofHours(1))).bindTo(this.meters);

		assertThat(this.meters.find(DiscoveryMeterBinder.REGISTRATION).tag("provider", "consul").functionTimer())
			.isNotNull();
		assertThat(this.meters.find(DiscoveryMeterBinder.LEASE_RENEWAL).meters()).isEmpty();
	}

	@Test
	void clusterGaugesTimerAndTransitionsReadTheElection() {
		LeaderElection election = this.resources.track(InMemoryLeaderElection.create(InMemoryLeaderGroup.create(),
				LeaderElectionSettings.builder()
					.nodeId("node-1")
					.address("127.0.0.1:9090")
					.electionName("jobs")
					.heartbeatInterval(Duration.ofMillis(50))
					.electionTimeout(Duration.ofMillis(500))
					.build()));
		new ClusterMeterBinder(List.of(election)).bindTo(this.meters);
		assertThat(this.meters.get(ClusterMeterBinder.LEADER).tag("election", "jobs").gauge().value()).isZero();
		election.join();
		await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
			assertThat(this.meters.get(ClusterMeterBinder.LEADER).tag("election", "jobs").gauge().value()).isEqualTo(1);
			assertThat(this.meters.get(ClusterMeterBinder.FENCING_TOKEN).gauge().value()).isPositive();
			assertThat(this.meters.get(ClusterMeterBinder.TRANSITIONS).tag("type", "granted").functionCounter().count())
				.isEqualTo(1);
			assertThat(this.meters.get(ClusterMeterBinder.LEASE_RENEWAL).functionTimer().count()).isPositive();
		});
		election.leave();
		await().atMost(Duration.ofSeconds(20))
			.untilAsserted(() -> assertThat(
					this.meters.get(ClusterMeterBinder.TRANSITIONS).tag("type", "revoked").functionCounter().count())
				.isEqualTo(1));
		assertThat(this.meters.get(ClusterMeterBinder.LEADER).gauge().value()).isZero();
	}

	private double calls(String name, String instance, String outcome) {
		return this.meters.get(CircuitBreakerMeterBinder.CALLS)
			.tags("name", name, "instance.id", instance, "outcome", outcome)
			.functionCounter()
			.count();
	}

	private FunctionTimer timer(String name, String provider) {
		return this.meters.get(name).tag("provider", provider).functionTimer();
	}

	private static ConsulServiceRegistry.Builder consul(FakeConsulAgent agent) {
		return ConsulServiceRegistry.builder()
			.connection(ConsulConnection.builder()
				.host("127.0.0.1")
				.port(agent.port())
				.requestTimeout(Duration.ofSeconds(2))
				.build())
			.blockingQueryWait(Duration.ofSeconds(1))
			.retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100));
	}

	private double instances(String service, String state) {
		return this.meters.get(DiscoveryMeterBinder.INSTANCES).tags("service", service, "state", state).gauge().value();
	}

	private static ServiceInstance instance(String service, String id, InstanceStatus status) {
		return new ServiceInstance(service, id, "127.0.0.1", 9090, Map.of(), status, Instant.now());
	}

}
