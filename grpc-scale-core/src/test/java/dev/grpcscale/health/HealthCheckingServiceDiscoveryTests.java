package dev.grpcscale.health;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.health.ControllableHealthService.Mode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

class HealthCheckingServiceDiscoveryTests {

	private static final Duration AWAIT = Duration.ofSeconds(10);

	private final InMemoryServiceRegistry registry = InMemoryServiceRegistry.create();

	private final List<Server> servers = new ArrayList<>();

	/** Probe channels made by the channel factory, by instance id, in creation order. */
	private final Map<String, List<ManagedChannel>> channels = new ConcurrentHashMap<>();

	/** Every listener event, in the order the discovery reported them. */
	private final List<Event> events = new CopyOnWriteArrayList<>();

	private final List<HealthCheckingServiceDiscovery> discoveries = new ArrayList<>();

	@AfterEach
	void close() {
		this.discoveries.forEach(HealthCheckingServiceDiscovery::close);
		this.servers.forEach(Server::shutdownNow);
		this.registry.close();
	}

	@ParameterizedTest
	@EnumSource(value = Mode.class, names = { "NOT_SERVING", "UNAVAILABLE", "SILENT" })
	void instanceIsMarkedDownAfterExactlyRetriesConsecutiveFailuresAndBackAfterOneSuccess(Mode failure)
			throws IOException {
		ControllableHealthService a = start("a");
		start("b");
		HealthCheckingServiceDiscovery discovery = discovery(
				HealthCheckOptions.builder().interval(Duration.ofMillis(40)).timeout(Duration.ofMillis(40)).retries(3).build());
		List<List<String>> watched = new CopyOnWriteArrayList<>();
		discovery.watch("svc", (instances) -> watched.add(ids(instances)));
		assertThat(watched).containsExactly(List.of("a", "b"));
		await().atMost(AWAIT).until(() -> checksOf("a").stream().anyMatch(InstanceHealth::lastCheckSucceeded));

		a.mode = failure;
		Event down = await().atMost(AWAIT).until(() -> change("a", InstanceStatus.DOWN), (event) -> event != null);

		// the checks of "a" up to the one that marked it down: exactly `retries` failures in a row
		List<Event> checks = checkEventsOf("a", this.events.indexOf(down));
		List<Event> failed = checks.subList(checks.size() - 3, checks.size());
		assertThat(checks.get(checks.size() - 4).health().lastCheckSucceeded()).isTrue();
		assertThat(failed).extracting((event) -> event.health().consecutiveFailures()).containsExactly(1, 2, 3);
		assertThat(failed).extracting((event) -> event.health().status())
			.containsExactly(InstanceStatus.UP, InstanceStatus.UP, InstanceStatus.DOWN);
		assertThat(failed).extracting(Event::instances)
			.containsExactly(List.of("a", "b"), List.of("a", "b"), List.of("b"));
		assertThat(failed).allSatisfy((event) -> assertThat(event.health().lastError()).startsWith(switch (failure) {
			case NOT_SERVING -> "NOT_SERVING";
			case UNAVAILABLE -> "UNAVAILABLE: test";
			default -> "DEADLINE_EXCEEDED";
		}));
		assertThat(down.health().consecutiveFailures()).isEqualTo(3);
		assertThat(watched.get(watched.size() - 1)).isEqualTo(List.of("b"));
		assertThat(ids(discovery.getInstances("svc"))).containsExactly("b");
		assertThat(discovery.getAllInstances("svc")).extracting(ServiceInstance::instanceId, ServiceInstance::status)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("a", InstanceStatus.DOWN),
					org.assertj.core.groups.Tuple.tuple("b", InstanceStatus.UP));

		a.mode = Mode.SERVING;
		Event up = await().atMost(AWAIT).until(() -> change("a", InstanceStatus.UP), (event) -> event != null);
		List<Event> laterChecks = checkEventsOf("a", this.events.indexOf(up));
		Event success = laterChecks.get(laterChecks.size() - 1);
		assertThat(success.health().lastCheckSucceeded()).isTrue();
		assertThat(success.health().status()).isEqualTo(InstanceStatus.UP);
		assertThat(success.instances()).containsExactly("a", "b");
		assertThat(laterChecks.get(laterChecks.size() - 2).health().status()).isEqualTo(InstanceStatus.DOWN);
		assertThat(watched.get(watched.size() - 1)).containsExactly("a", "b");
		assertThat(ids(discovery.getInstances("svc"))).containsExactly("a", "b");
	}

	@Test
	void whenEveryInstanceFailsItsProbesAllAreKeptInPanicModeUntilOnePassesAgain() throws IOException {
		ControllableHealthService a = start("a");
		ControllableHealthService b = start("b");
		HealthCheckingServiceDiscovery discovery = discovery(
				HealthCheckOptions.builder().interval(Duration.ofMillis(30)).retries(2).build());
		List<List<String>> watched = new CopyOnWriteArrayList<>();
		discovery.watch("svc", (instances) -> watched.add(ids(instances)));
		await().atMost(AWAIT).until(() -> checksOf("b").stream().anyMatch(InstanceHealth::lastCheckSucceeded));

		a.mode = Mode.NOT_SERVING;
		await().atMost(AWAIT).until(() -> ids(discovery.getInstances("svc")).equals(List.of("b")));
		assertThat(discovery.panicServices()).isEmpty();

		b.mode = Mode.UNAVAILABLE;
		await().atMost(AWAIT).until(() -> change("b", InstanceStatus.DOWN) != null);
		assertThat(discovery.panicServices()).containsExactly("svc");
		assertThat(ids(discovery.getInstances("svc"))).containsExactly("a", "b");
		assertThat(watched.get(watched.size() - 1)).containsExactly("a", "b");
		assertThat(discovery.getAllInstances("svc")).extracting(ServiceInstance::status)
			.containsOnly(InstanceStatus.DOWN);

		b.mode = Mode.SERVING;
		await().atMost(AWAIT).until(() -> discovery.panicServices().isEmpty());
		assertThat(ids(discovery.getInstances("svc"))).containsExactly("b");
		assertThat(watched.get(watched.size() - 1)).containsExactly("b");
	}

	@Test
	void readsWhileAnInstanceIsDownShareOneFilteredListUntilDiscoveryOrHealthChanges() throws IOException {
		ControllableHealthService a = start("a");
		start("b");
		HealthCheckingServiceDiscovery discovery = discovery(
				HealthCheckOptions.builder().interval(Duration.ofMillis(30)).retries(1).build());
		discovery.watch("svc", (instances) -> {
		});
		a.mode = Mode.NOT_SERVING;
		await().atMost(AWAIT).until(() -> ids(discovery.getInstances("svc")).equals(List.of("b")));

		List<ServiceInstance> filtered = discovery.getInstances("svc");
		for (int i = 0; i < 100; i++) {
			assertThat(discovery.getInstances("svc")).as("no filtering pass per read").isSameAs(filtered);
		}

		// a discovery change: computed again, once
		start("c");
		await().atMost(AWAIT).until(() -> ids(discovery.getInstances("svc")).equals(List.of("b", "c")));
		List<ServiceInstance> afterJoin = discovery.getInstances("svc");
		assertThat(discovery.getInstances("svc")).isSameAs(afterJoin);

		// a health transition: computed again
		a.mode = Mode.SERVING;
		await().atMost(AWAIT).until(() -> ids(discovery.getInstances("svc")).equals(List.of("a", "b", "c")));
		assertThat(discovery.getInstances("svc")).isSameAs(this.registry.getInstances("svc"));
	}

	@Test
	void panicThresholdKeepsEveryInstanceWhileTooFewPassAndPanicModeOffKeepsNone() throws IOException {
		ControllableHealthService a = start("a");
		start("b");
		HealthCheckingServiceDiscovery half = discovery(
				HealthCheckOptions.builder().interval(Duration.ofMillis(30)).retries(1).panicThreshold(50).build());
		half.watch("svc", (instances) -> {
		});
		a.mode = Mode.NOT_SERVING;
		await().atMost(AWAIT).until(() -> change("a", InstanceStatus.DOWN) != null);
		assertThat(half.panicServices()).containsExactly("svc");
		assertThat(ids(half.getInstances("svc"))).containsExactly("a", "b");
		half.close();

		this.events.clear();
		ControllableHealthService c = start("c");
		c.mode = Mode.NOT_SERVING;
		a.mode = Mode.SERVING;
		this.registry.deregister("svc", "a");
		this.registry.deregister("svc", "b");
		HealthCheckingServiceDiscovery strict = discovery(
				HealthCheckOptions.builder().interval(Duration.ofMillis(30)).retries(1).panicMode(false).build());
		strict.watch("svc", (instances) -> {
		});
		await().atMost(AWAIT).until(() -> change("c", InstanceStatus.DOWN) != null);
		assertThat(strict.getInstances("svc")).isEmpty();
		assertThat(strict.panicServices()).isEmpty();
	}

	@Test
	void serverWithoutAHealthServiceCountsAsHealthy() throws IOException {
		start("a", new io.grpc.testing.protobuf.SimpleServiceGrpc.SimpleServiceImplBase() {
		});
		HealthCheckingServiceDiscovery discovery = discovery(
				HealthCheckOptions.builder().interval(Duration.ofMillis(20)).retries(1).panicMode(false).build());
		discovery.watch("svc", (instances) -> {
		});
		await().atMost(AWAIT).until(() -> checksOf("a").size() >= 3);
		assertThat(checksOf("a")).allSatisfy((health) -> {
			assertThat(health.lastCheckSucceeded()).isTrue();
			assertThat(health.isUp()).isTrue();
		});
		assertThat(ids(discovery.getInstances("svc"))).containsExactly("a");
	}

	@Test
	void probesTheConfiguredHealthServiceNameServedByHealthStatusManager() throws IOException {
		HealthStatusManager health = new HealthStatusManager();
		health.setStatus("grpc.testing.SimpleService", ServingStatus.SERVING);
		start("a", health.getHealthService());
		HealthCheckingServiceDiscovery discovery = discovery(HealthCheckOptions.builder()
			.interval(Duration.ofMillis(30))
			.retries(2)
			.panicMode(false)
			.endpoint("grpc.testing.SimpleService")
			.build());
		List<List<String>> watched = new CopyOnWriteArrayList<>();
		discovery.watch("svc", (instances) -> watched.add(ids(instances)));
		await().atMost(AWAIT).until(() -> checksOf("a").stream().anyMatch(InstanceHealth::lastCheckSucceeded));

		// "" stays SERVING: only the probed name counts
		health.setStatus("grpc.testing.SimpleService", ServingStatus.NOT_SERVING);
		await().atMost(AWAIT).until(() -> watched.get(watched.size() - 1).isEmpty());
		assertThat(discovery.snapshot("svc")).singleElement().satisfies((instance) -> {
			assertThat(instance.status()).isEqualTo(InstanceStatus.DOWN);
			assertThat(instance.lastError()).isEqualTo("NOT_SERVING");
		});

		health.setStatus("grpc.testing.SimpleService", ServingStatus.SERVING);
		await().atMost(AWAIT).until(() -> watched.get(watched.size() - 1).equals(List.of("a")));
	}

	@Test
	void healthServiceNameTheServerDoesNotKnowCountsAsAFailure() throws IOException {
		start("a", new HealthStatusManager().getHealthService());
		HealthCheckingServiceDiscovery discovery = discovery(
				HealthCheckOptions.builder().interval(Duration.ofMillis(30)).retries(1).panicMode(false).endpoint("missing").build());
		// (no check that the instance counts as UP first: the first probe starts with this call and may
		// already have failed when it returns)
		discovery.getInstances("svc");
		await().atMost(AWAIT).until(() -> discovery.getInstances("svc").isEmpty());
		assertThat(discovery.snapshot().get(0).lastError()).startsWith("NOT_FOUND");
	}

	@Test
	void instancesThatLeaveDiscoveryStopBeingProbedAndTheirChannelsAreClosed() throws IOException {
		ControllableHealthService a = start("a");
		ControllableHealthService b = start("b");
		HealthCheckingServiceDiscovery discovery = discovery(
				HealthCheckOptions.builder().interval(Duration.ofMillis(20)).build());
		discovery.getInstances("svc");
		await().atMost(AWAIT).until(() -> a.checks.get() >= 2 && b.checks.get() >= 2);
		ServiceInstance departed = this.registry.getInstances("svc").get(0);

		this.registry.deregister("svc", "a");
		ManagedChannel channel = this.channels.get("a").get(0);
		assertThat(channel.isShutdown()).isTrue();
		await().atMost(AWAIT).until(channel::isTerminated);
		assertThat(discovery.snapshot()).extracting(InstanceHealth::instanceId).containsExactly("b");
		int bChecks = b.checks.get();
		await().atMost(AWAIT).until(() -> b.checks.get() >= bChecks + 1);
		int aChecks = a.checks.get();
		await().atMost(AWAIT).until(() -> b.checks.get() >= bChecks + 4);
		assertThat(a.checks.get()).isEqualTo(aChecks);

		// back in discovery: probed again, over a new channel
		this.registry.register(departed);
		await().atMost(AWAIT).until(() -> a.checks.get() > aChecks);
		assertThat(this.channels.get("a")).hasSize(2);
		assertThat(discovery.snapshot()).extracting(InstanceHealth::instanceId).containsExactly("a", "b");
	}

	@Test
	void inspectionReadsDoNotStartProbing() throws IOException {
		ControllableHealthService a = start("a");
		HealthCheckingServiceDiscovery discovery = discovery(
				HealthCheckOptions.builder().interval(Duration.ofMillis(20)).build());
		assertThat(discovery.getServiceNames()).containsExactly("svc");
		assertThat(discovery.getAllInstances("svc")).extracting(ServiceInstance::instanceId).containsExactly("a");
		assertThat(discovery.snapshot()).isEmpty();
		assertThat(this.channels).isEmpty();
		assertThat(a.checks.get()).isZero();
	}

	@Test
	void instanceReRegisteredAtAnotherAddressIsProbedAfreshOverANewChannel() throws IOException {
		ControllableHealthService first = start("a");
		HealthCheckingServiceDiscovery discovery = discovery(
				HealthCheckOptions.builder().interval(Duration.ofMillis(20)).retries(1).panicMode(false).build());
		first.mode = Mode.NOT_SERVING;
		discovery.getInstances("svc");
		await().atMost(AWAIT).until(() -> discovery.getInstances("svc").isEmpty());

		// same instance id, new server (another in-process name): starts UP, probed over a new channel
		ControllableHealthService second = start("a");
		assertThat(this.channels.get("a").get(0).isShutdown()).isTrue();
		assertThat(discovery.getInstances("svc")).hasSize(1);
		await().atMost(AWAIT).until(() -> second.checks.get() >= 2);
		assertThat(this.channels.get("a")).hasSize(2);
		assertThat(discovery.snapshot()).singleElement()
			.satisfies((health) -> assertThat(health.lastCheckSucceeded()).isTrue());
	}

	@Test
	void closeStopsProbingShutsDownChannelsAndTheSchedulerThreads() throws IOException {
		Set<Thread> before = healthThreads();
		ControllableHealthService a = start("a");
		HealthCheckingServiceDiscovery discovery = discovery(
				HealthCheckOptions.builder().interval(Duration.ofMillis(20)).build());
		discovery.watch("svc", (instances) -> {
		});
		await().atMost(AWAIT).until(() -> a.checks.get() >= 2);
		Set<Thread> started = healthThreads();
		started.removeAll(before);
		assertThat(started).isNotEmpty().allSatisfy((thread) -> assertThat(thread.getName()).startsWith("grpc-scale-health-"));

		discovery.close();
		// close() waited for the scheduler to terminate; its worker threads exit right after
		await().atMost(AWAIT).until(() -> started.stream().noneMatch(Thread::isAlive));
		assertThat(this.channels.values()).flatMap((list) -> list).allMatch(ManagedChannel::isShutdown);
		assertThat(discovery.snapshot()).isEmpty();
		assertThat(discovery.isClosed()).isTrue();
		assertThat(ids(discovery.getInstances("svc"))).containsExactly("a");
		assertThatIllegalStateException().isThrownBy(() -> discovery.watch("svc", (instances) -> {
		})).withMessageContaining("closed");
		discovery.close();
	}

	@Test
	void injectedSchedulerRunsTheProbesAndIsLeftRunningOnClose() throws IOException {
		ScheduledExecutorService scheduler = Executors
			.newSingleThreadScheduledExecutor((runnable) -> new Thread(runnable, "grpc-scale-test-scheduler"));
		try {
			start("a");
			List<String> threads = new CopyOnWriteArrayList<>();
			HealthCheckingServiceDiscovery discovery = HealthCheckingServiceDiscovery.builder(this.registry)
				.options(HealthCheckOptions.builder().interval(Duration.ofMillis(20)).build())
				.channelFactory(this::inProcessChannel)
				.scheduler(scheduler)
				.build();
			this.discoveries.add(discovery);
			discovery.addListener(new HealthCheckListener() {
				@Override
				public void onCheck(InstanceHealth health) {
					threads.add(Thread.currentThread().getName());
				}
			});
			discovery.getInstances("svc");
			await().atMost(AWAIT).until(() -> threads.size() >= 2);
			assertThat(threads).containsOnly("grpc-scale-test-scheduler");
			discovery.close();
			assertThat(scheduler.isShutdown()).isFalse();
		}
		finally {
			scheduler.shutdownNow();
		}
	}

	@Test
	void lastCheckComesFromTheInjectedClockAndLatencyFromTheInjectedTicker() throws IOException {
		start("a");
		Instant now = Instant.parse("2025-06-01T12:00:00Z");
		AtomicLong ticks = new AtomicLong();
		HealthCheckingServiceDiscovery discovery = HealthCheckingServiceDiscovery.builder(this.registry)
			.options(HealthCheckOptions.builder().interval(Duration.ofHours(1)).build())
			.channelFactory(this::inProcessChannel)
			.clock(Clock.fixed(now, ZoneOffset.UTC))
			.ticker(() -> ticks.addAndGet(7_000_000))
			.build();
		this.discoveries.add(discovery);
		List<InstanceHealth> checks = new CopyOnWriteArrayList<>();
		discovery.addListener(new HealthCheckListener() {
			@Override
			public void onCheck(InstanceHealth health) {
				checks.add(health);
			}
		});
		discovery.getInstances("svc");
		await().atMost(AWAIT).until(() -> !checks.isEmpty());
		assertThat(checks.get(0).lastCheck()).isEqualTo(now);
		assertThat(checks.get(0).lastLatency()).isEqualTo(Duration.ofMillis(7));
		assertThat(checks.get(0).lastCheckSucceeded()).isTrue();
		assertThat(discovery.snapshot()).containsExactly(new InstanceHealth("svc", "a",
				this.registry.getInstances("svc").get(0).address(), InstanceStatus.UP, 0, now, Duration.ofMillis(7), null));
	}

	@Test
	void throwingListenersAndWatchersNeverBreakTheProber() throws IOException {
		ControllableHealthService a = start("a");
		a.mode = Mode.NOT_SERVING;
		HealthCheckingServiceDiscovery discovery = HealthCheckingServiceDiscovery.builder(this.registry)
			.options(HealthCheckOptions.builder().interval(Duration.ofMillis(20)).retries(2).build())
			.channelFactory(this::inProcessChannel)
			.build();
		this.discoveries.add(discovery);
		discovery.addListener(new HealthCheckListener() {
			@Override
			public void onCheck(InstanceHealth health) {
				throw new IllegalStateException("listener failure on check");
			}

			@Override
			public void onStatusChange(InstanceHealth health) {
				throw new IllegalStateException("listener failure on change");
			}
		});
		discovery.addListener(recorder(discovery));
		discovery.watch("svc", (instances) -> {
			throw new IllegalStateException("watcher failure");
		});
		await().atMost(AWAIT).until(() -> change("a", InstanceStatus.DOWN) != null);
		a.mode = Mode.SERVING;
		await().atMost(AWAIT).until(() -> change("a", InstanceStatus.UP) != null);
		int checks = checksOf("a").size();
		await().atMost(AWAIT).until(() -> checksOf("a").size() >= checks + 2);
	}

	@Test
	void cancelledListenerReceivesNothingMore() throws IOException {
		ControllableHealthService a = start("a");
		HealthCheckingServiceDiscovery discovery = discovery(
				HealthCheckOptions.builder().interval(Duration.ofMillis(20)).build());
		List<InstanceHealth> seen = new CopyOnWriteArrayList<>();
		dev.grpcscale.Subscription subscription = discovery.addListener(new HealthCheckListener() {
			@Override
			public void onCheck(InstanceHealth health) {
				seen.add(health);
			}
		});
		discovery.getInstances("svc");
		await().atMost(AWAIT).until(() -> !seen.isEmpty());
		subscription.cancel();
		int count = seen.size();
		int probes = a.checks.get();
		await().atMost(AWAIT).until(() -> checksOf("a").size() >= 1 && a.checks.get() >= probes + 3);
		assertThat(seen.size()).isLessThanOrEqualTo(count + 1);
	}

	private HealthCheckingServiceDiscovery discovery(HealthCheckOptions options) {
		HealthCheckingServiceDiscovery discovery = HealthCheckingServiceDiscovery.builder(this.registry)
			.options(options)
			.channelFactory(this::inProcessChannel)
			.build();
		this.discoveries.add(discovery);
		discovery.addListener(recorder(discovery));
		return discovery;
	}

	private HealthCheckListener recorder(HealthCheckingServiceDiscovery discovery) {
		return new HealthCheckListener() {
			@Override
			public void onCheck(InstanceHealth health) {
				HealthCheckingServiceDiscoveryTests.this.events
					.add(new Event(false, health, ids(discovery.getInstances(health.serviceName()))));
			}

			@Override
			public void onStatusChange(InstanceHealth health) {
				HealthCheckingServiceDiscoveryTests.this.events.add(new Event(true, health, List.of()));
			}
		};
	}

	private ManagedChannel inProcessChannel(ServiceInstance instance) {
		ManagedChannel channel = InProcessChannelBuilder.forName(instance.host()).build();
		this.channels.computeIfAbsent(instance.instanceId(), (id) -> new CopyOnWriteArrayList<>()).add(channel);
		return channel;
	}

	private ControllableHealthService start(String id) throws IOException {
		ControllableHealthService health = new ControllableHealthService();
		start(id, health);
		return health;
	}

	/** Starts an in-process server and registers it as instance {@code id} of "svc", host = server name. */
	private void start(String id, BindableService health) throws IOException {
		String name = InProcessServerBuilder.generateName();
		this.servers.add(InProcessServerBuilder.forName(name).directExecutor().addService(health).build().start());
		this.registry.register(new ServiceInstance("svc", id, name, 1, Map.of(), InstanceStatus.UP, Instant.EPOCH));
	}

	private List<InstanceHealth> checksOf(String id) {
		return this.events.stream()
			.filter((event) -> !event.change() && event.health().instanceId().equals(id))
			.map(Event::health)
			.toList();
	}

	/** The check events of an instance before the given index. */
	private List<Event> checkEventsOf(String id, int before) {
		return this.events.subList(0, before)
			.stream()
			.filter((event) -> !event.change() && event.health().instanceId().equals(id))
			.toList();
	}

	private Event change(String id, InstanceStatus status) {
		return this.events.stream()
			.filter((event) -> event.change() && event.health().instanceId().equals(id)
					&& event.health().status() == status)
			.findFirst()
			.orElse(null);
	}

	private static List<String> ids(List<ServiceInstance> instances) {
		return instances.stream().map(ServiceInstance::instanceId).sorted().toList();
	}

	private static Set<Thread> healthThreads() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter((thread) -> thread.getName().startsWith("grpc-scale-health-"))
			.collect(Collectors.toSet());
	}

	/** A listener event, with the instances {@code getInstances} returned when a check was reported. */
	private record Event(boolean change, InstanceHealth health, List<String> instances) {
	}

}
