package dev.grpcscale.autoconfigure.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.health.HealthCheckingServiceDiscovery;
import dev.grpcscale.health.InstanceHealth;
import dev.grpcscale.internal.DaemonThreads;
import dev.grpcscale.metrics.DiscoveryLatencies;
import dev.grpcscale.metrics.LatencyTally;

/**
 * The meters of discovery and client-side health, as gauges whose rows follow the services discovery
 * knows:
 * <ul>
 * <li>{@value #INSTANCES}: instances per {@code service} and {@code state} ({@code up}, {@code down}) as
 * the backend lists them;</li>
 * <li>{@value #REACHABLE}: 1 when the discovery backend ({@code provider} tag) answered last time, else 0;</li>
 * <li>{@value #HEALTH_INSTANCES}: probed instances per {@code service} and {@code state} ({@code up},
 * {@code down}) as the health checker judges them, when it runs;</li>
 * <li>{@value #REGISTRATION}, {@value #WATCH_LAG} and {@value #LEASE_RENEWAL} (function timers, tagged
 * {@code provider}), for backends that time them ({@link DiscoveryLatencies}: etcd and Consul): how long
 * registering an instance took until the backend confirmed it, the time from a watch answer's arrival to
 * the new list handed to every watcher, the {@code discovery:///} resolvers among them, and the round trip
 * of each confirmed renewal keeping the registrations alive (etcd's lease keep-alives, Consul's TTL
 * passes; none with Consul's gRPC checks, which the agent runs itself).</li>
 * </ul>
 * The counts are taken every refresh interval on a thread {@code grpc-scale-metrics} (reading the backend's
 * status may wait for it), never on the scrape's thread; a service that left discovery loses its rows at
 * the next refresh. {@link #close()} stops the thread.
 */
public class DiscoveryMeterBinder implements MeterBinder, AutoCloseable {

	/** Instances per service and state, as discovery lists them. */
	public static final String INSTANCES = "grpc.scale.discovery.instances";

	/** Whether the discovery backend is reachable. */
	public static final String REACHABLE = "grpc.scale.discovery.backend.reachable";

	/** Instances per service and health state, as the health checker judges them. */
	public static final String HEALTH_INSTANCES = "grpc.scale.health.instances";

	/** Registration latency. */
	public static final String REGISTRATION = "grpc.scale.discovery.registration";

	/** From a watch event's arrival to the resolvers. */
	public static final String WATCH_LAG = "grpc.scale.discovery.watch.lag";

	/** Round trips of the renewals that keep registrations alive. */
	public static final String LEASE_RENEWAL = "grpc.scale.discovery.lease.renewal";

	private static final Logger logger = LoggerFactory.getLogger(DiscoveryMeterBinder.class);

	private final ServiceDiscovery discovery;

	private final @Nullable HealthCheckingServiceDiscovery health;

	private final Duration refreshInterval;

	private final List<Gauges> bound = new CopyOnWriteArrayList<>();

	/** The last counts taken, by meter name then tags; rows read them at scrape time. */
	private final Map<String, Map<Tags, Integer>> counts = new ConcurrentHashMap<>();

	private volatile @Nullable ScheduledExecutorService scheduler;

	/**
	 * Creates the binder.
	 * @param discovery what lists instances and reports the backend's reachability
	 * @param health the health checker, or {@code null} without client-side health checking
	 * @param refreshInterval how often the counts are taken
	 */
	public DiscoveryMeterBinder(ServiceDiscovery discovery, @Nullable HealthCheckingServiceDiscovery health,
			Duration refreshInterval) {
		this.discovery = Objects.requireNonNull(discovery, "discovery");
		this.health = health;
		this.refreshInterval = Objects.requireNonNull(refreshInterval, "refreshInterval");
	}

	@Override
	public synchronized void bindTo(MeterRegistry registry) {
		this.bound.add(new Gauges(
				MultiGauge.builder(INSTANCES)
					.description("Instances of a service known to discovery, by state")
					.baseUnit("instances")
					.register(registry),
				MultiGauge.builder(REACHABLE)
					.description("Whether the discovery backend answered (1) or not (0) at the last refresh")
					.register(registry),
				MultiGauge.builder(HEALTH_INSTANCES)
					.description("Probed instances of a service, by health state")
					.baseUnit("instances")
					.register(registry)));
		if (this.discovery instanceof DiscoveryLatencies latencies) {
			Tags tags = Tags.of("provider", latencies.latencyProvider());
			timer(registry, REGISTRATION, tags, "Time to register an instance until the backend confirmed it",
					latencies.registrations());
			timer(registry, WATCH_LAG, tags, "Time from a watch event's arrival to the new list handed to the resolvers",
					latencies.watchLag());
			LatencyTally renewals = latencies.leaseRenewals();
			if (renewals != null) {
				timer(registry, LEASE_RENEWAL, tags,
						"Round trip of confirmed renewals keeping the registrations alive (lease keep-alives, TTL passes)",
						renewals);
			}
		}
		if (this.scheduler == null) {
			ScheduledExecutorService started = Executors
				.newSingleThreadScheduledExecutor(DaemonThreads.named("grpc-scale-metrics"));
			long period = Math.max(1, this.refreshInterval.toMillis());
			// the first refresh runs at once, but off the binding thread: the backend's status may wait for it
			started.scheduleWithFixedDelay(this::refreshQuietly, 0, period, TimeUnit.MILLISECONDS);
			this.scheduler = started;
		}
	}

	private static void timer(MeterRegistry registry, String name, Tags tags, String description,
			LatencyTally tally) {
		FunctionTimer.builder(name, tally, LatencyTally::count, LatencyTally::totalNanos, TimeUnit.NANOSECONDS)
			.description(description)
			.tags(tags)
			.register(registry);
	}

	/** Takes the counts now and updates the rows: new services get rows, departed ones lose theirs. */
	public synchronized void refresh() {
		Map<Tags, Integer> instances = new LinkedHashMap<>();
		for (String service : this.discovery.getServiceNames()) {
			int up = 0;
			int down = 0;
			for (ServiceInstance instance : this.discovery.getAllInstances(service)) {
				if (instance.status() == InstanceStatus.UP) {
					up++;
				}
				else {
					down++;
				}
			}
			instances.put(Tags.of("service", service, "state", "up"), up);
			instances.put(Tags.of("service", service, "state", "down"), down);
		}
		DiscoveryStatus status = this.discovery.status();
		Map<Tags, Integer> reachable = Map.of(Tags.of("provider", status.provider().toLowerCase(Locale.ROOT)),
				status.reachable() ? 1 : 0);
		Map<Tags, Integer> healthCounts = new LinkedHashMap<>();
		if (this.health != null && this.health.isRunning()) {
			for (InstanceHealth instance : this.health.snapshot()) {
				healthCounts.merge(Tags.of("service", instance.serviceName(), "state", "up"),
						instance.isUp() ? 1 : 0, Integer::sum);
				healthCounts.merge(Tags.of("service", instance.serviceName(), "state", "down"),
						instance.isUp() ? 0 : 1, Integer::sum);
			}
		}
		this.counts.put(INSTANCES, instances);
		this.counts.put(REACHABLE, reachable);
		this.counts.put(HEALTH_INSTANCES, healthCounts);
		for (Gauges gauges : this.bound) {
			gauges.instances.register(rows(INSTANCES, instances), true);
			gauges.reachable.register(rows(REACHABLE, reachable), true);
			gauges.health.register(rows(HEALTH_INSTANCES, healthCounts), true);
		}
	}

	private List<MultiGauge.Row<?>> rows(String name, Map<Tags, Integer> values) {
		List<MultiGauge.Row<?>> rows = new ArrayList<>(values.size());
		for (Tags tags : values.keySet()) {
			rows.add(MultiGauge.Row.of(tags, this, (binder) -> binder.count(name, tags)));
		}
		return rows;
	}

	private double count(String name, Tags tags) {
		Map<Tags, Integer> values = this.counts.get(name);
		Integer value = (values != null) ? values.get(tags) : null;
		return (value != null) ? value : Double.NaN;
	}

	private void refreshQuietly() {
		try {
			refresh();
		}
		catch (RuntimeException ex) {
			logger.debug("Refreshing grpc-scale's discovery meters failed", ex);
		}
	}

	/** Stops the refresh thread. */
	@Override
	public void close() {
		ScheduledExecutorService running = this.scheduler;
		if (running != null) {
			running.shutdownNow();
		}
	}

	private record Gauges(MultiGauge instances, MultiGauge reachable, MultiGauge health) {
	}

}
