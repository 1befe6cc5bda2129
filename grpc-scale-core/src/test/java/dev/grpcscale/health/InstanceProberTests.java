package dev.grpcscale.health;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The probe loop of one instance, with a results sink in place of its service's tracker. */
class InstanceProberTests {

	private static final Duration AWAIT = Duration.ofSeconds(10);

	private final ControllableHealthService health = new ControllableHealthService();

	private final String serverName = InProcessServerBuilder.generateName();

	private final Server server;

	private final ServiceInstance instance = new ServiceInstance("svc", "a", this.serverName, 1, Map.of(),
			InstanceStatus.UP, Instant.EPOCH);

	private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

	private final List<@Nullable String> results = new CopyOnWriteArrayList<>();

	private final RecordingScheduler executor = new RecordingScheduler();

	InstanceProberTests() throws IOException {
		this.server = InProcessServerBuilder.forName(this.serverName)
			.directExecutor()
			.addService(this.health)
			.build()
			.start();
	}

	@AfterEach
	void close() {
		this.executor.shutdownNow();
		this.channels.forEach(ManagedChannel::shutdownNow);
		this.server.shutdownNow();
	}

	@Test
	void probesOneInstanceOverOneChannelUntilShutDown() {
		HealthCheckOptions options = HealthCheckOptions.builder().interval(Duration.ofMillis(20)).build();
		InstanceProber prober = prober(options, this::channel);

		prober.scheduleNext(0);
		await().atMost(AWAIT).until(() -> this.results.size() >= 3);
		assertThat(this.results).containsOnlyNulls();
		assertThat(this.channels).hasSize(1);

		prober.shutdown();
		assertThat(this.channels.get(0).isShutdown()).isTrue();
	}

	@Test
	void channelFactoryFailureIsRecordedAsAFailedProbe() {
		InstanceProber prober = prober(HealthCheckOptions.defaults(), (instance) -> {
			throw new IllegalStateException("no TLS material");
		});

		prober.scheduleNext(0);
		await().atMost(AWAIT).until(() -> !this.results.isEmpty());
		assertThat(this.results.get(0))
			.isEqualTo("channel factory failed: java.lang.IllegalStateException: no TLS material");
	}

	@Test
	void nextProbeStartsOneIntervalAfterTheStartOfTheLastOrAtOnceWhenItTookLonger() {
		HealthCheckOptions options = HealthCheckOptions.builder().interval(Duration.ofMillis(100)).build();
		InstanceProber prober = prober(options, this::channel);
		this.executor.run = false;

		prober.scheduleAfter(TimeUnit.MILLISECONDS.toNanos(30), options);
		prober.scheduleAfter(TimeUnit.MILLISECONDS.toNanos(250), options);

		assertThat(this.executor.delays).containsExactly(TimeUnit.MILLISECONDS.toNanos(70), 0L);
	}

	@Test
	void stoppedProberSchedulesAndRecordsNothing() {
		InstanceProber prober = prober(HealthCheckOptions.defaults(), this::channel);

		prober.stop();
		prober.scheduleNext(0);

		assertThat(prober.isStopped()).isTrue();
		assertThat(this.executor.delays).isEmpty();
		assertThat(this.channels).isEmpty();
	}

	private InstanceProber prober(HealthCheckOptions options, Function<ServiceInstance, ManagedChannel> factory) {
		ProbeContext context = new ProbeContext(HealthProbe.of(options), false, HealthCheckScheduler.of(this.executor),
				factory, Clock.systemUTC(), System::nanoTime);
		return new InstanceProber(this.instance, context, (prober, error, latency) -> {
			this.results.add(error);
			prober.scheduleAfter(latency, options);
		});
	}

	private ManagedChannel channel(ServiceInstance instance) {
		ManagedChannel channel = InProcessChannelBuilder.forName(instance.host()).build();
		this.channels.add(channel);
		return channel;
	}

	/** Records the delay of every scheduled task; runs them unless told not to. */
	private static final class RecordingScheduler extends ScheduledThreadPoolExecutor {

		final List<Long> delays = new CopyOnWriteArrayList<>();

		volatile boolean run = true;

		RecordingScheduler() {
			super(1, (runnable) -> new Thread(runnable, "grpc-scale-test-health"));
		}

		@Override
		public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
			this.delays.add(unit.toNanos(delay));
			return super.schedule(this.run ? command : () -> {
			}, delay, unit);
		}

	}

}
