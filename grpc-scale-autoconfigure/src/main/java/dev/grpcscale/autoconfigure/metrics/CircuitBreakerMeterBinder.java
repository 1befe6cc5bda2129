package dev.grpcscale.autoconfigure.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToLongFunction;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import dev.grpcscale.circuitbreaker.CircuitBreakerMetrics;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;

/**
 * The meters of grpc-scale's circuit breakers, read from {@link GrpcCircuitBreakers}' own cumulative counts
 * and from each breaker's state, at scrape time: nothing subscribes to resilience4j's per-call events.
 *
 * <ul>
 * <li>{@value #CALLS} (function counter): calls by {@code outcome} = {@code successful}, {@code failed},
 * {@code not_permitted}, {@code ignored} (cancelled by the client);</li>
 * <li>{@value #STATE} (gauge): 1 for the breaker's current {@code state} ({@code closed}, {@code open},
 * {@code half_open}, {@code forced_open}, {@code disabled}, {@code metrics_only}), 0 for the others.</li>
 * </ul>
 * Every meter is tagged {@code kind} ({@code service}, {@code instance}, {@code operation}), {@code name}
 * (the service, or the operation) and {@value #INSTANCE_ID} (the instance id for an instance breaker, else
 * {@code none}; not {@code instance}, which Prometheus sets to the scraped target).
 *
 * <p>The meters of a breaker are registered when grpc-scale creates it in the resilience4j registry and
 * removed when it leaves the registry: an instance breaker leaves it {@code instance-retention} after its
 * instance left load balancing. Breakers of the same registry that grpc-scale did not create (they carry no
 * {@link GrpcCircuitBreakers#KIND_TAG}) are left to the application.
 */
public class CircuitBreakerMeterBinder implements MeterBinder {

	/** Calls by outcome. */
	public static final String CALLS = "grpc.scale.circuitbreaker.calls";

	/** The current state, one series per state. */
	public static final String STATE = "grpc.scale.circuitbreaker.state";

	/** The tag holding an instance breaker's instance id ({@code instance_id} in Prometheus). */
	public static final String INSTANCE_ID = "instance.id";

	private static final CircuitBreaker.State[] STATES = CircuitBreaker.State.values();

	private final GrpcCircuitBreakers breakers;

	private final CircuitBreakerRegistry registry;

	private final List<MeterRegistry> meterRegistries = new CopyOnWriteArrayList<>();

	/** The meters of each bound breaker, by breaker name. */
	private final Map<String, List<Meter>> meters = new ConcurrentHashMap<>();

	/**
	 * Creates the binder.
	 * @param breakers grpc-scale's breakers, whose registry is watched for added and removed breakers
	 */
	public CircuitBreakerMeterBinder(GrpcCircuitBreakers breakers) {
		this.breakers = Objects.requireNonNull(breakers, "breakers");
		this.registry = breakers.registry();
		this.registry.getEventPublisher()
			.onEntryAdded((event) -> add(event.getAddedEntry()))
			.onEntryRemoved((event) -> remove(event.getRemovedEntry()))
			.onEntryReplaced((event) -> {
				remove(event.getOldEntry());
				add(event.getNewEntry());
			});
	}

	@Override
	public void bindTo(MeterRegistry meterRegistry) {
		this.meterRegistries.add(meterRegistry);
		for (CircuitBreaker breaker : this.registry.getAllCircuitBreakers()) {
			register(meterRegistry, breaker);
		}
	}

	private void add(CircuitBreaker breaker) {
		for (MeterRegistry meterRegistry : this.meterRegistries) {
			register(meterRegistry, breaker);
		}
	}

	private void remove(CircuitBreaker breaker) {
		List<Meter> bound = this.meters.remove(breaker.getName());
		if (bound != null) {
			for (Meter meter : bound) {
				for (MeterRegistry meterRegistry : this.meterRegistries) {
					meterRegistry.remove(meter);
				}
			}
		}
	}

	private void register(MeterRegistry meterRegistry, CircuitBreaker breaker) {
		String kind = breaker.getTags().get(GrpcCircuitBreakers.KIND_TAG);
		if (kind == null) {
			return;
		}
		String name = breaker.getName();
		int slash = name.indexOf('/');
		boolean instance = "instance".equals(kind) && slash > 0;
		Tags tags = Tags.of("kind", kind, "name", instance ? name.substring(0, slash) : name, INSTANCE_ID,
				instance ? name.substring(slash + 1) : "none");
		List<Meter> bound = new ArrayList<>();
		bound.add(calls(meterRegistry, name, tags, "successful", CircuitBreakerMetrics.Breaker::successfulRequests));
		bound.add(calls(meterRegistry, name, tags, "failed", CircuitBreakerMetrics.Breaker::failedRequests));
		bound.add(calls(meterRegistry, name, tags, "not_permitted", CircuitBreakerMetrics.Breaker::rejectedRequests));
		bound.add(calls(meterRegistry, name, tags, "ignored", CircuitBreakerMetrics.Breaker::ignoredRequests));
		for (CircuitBreaker.State state : STATES) {
			bound.add(Gauge.builder(STATE, breaker, (b) -> (b.getState() == state) ? 1 : 0)
				.description("Whether the circuit breaker is in this state (1) or not (0)")
				.tags(tags)
				.tag("state", state.name().toLowerCase(Locale.ROOT))
				.strongReference(true)
				.register(meterRegistry));
		}
		this.meters.merge(name, bound, (existing, added) -> {
			List<Meter> all = new ArrayList<>(existing);
			all.addAll(added);
			return all;
		});
	}

	private FunctionCounter calls(MeterRegistry meterRegistry, String name, Tags tags, String outcome,
			ToLongFunction<CircuitBreakerMetrics.Breaker> count) {
		GrpcCircuitBreakers source = this.breakers;
		return FunctionCounter
			.builder(CALLS, source, (b) -> b.metrics(name).map(count::applyAsLong).orElse(0L).doubleValue())
			.description("Calls through a grpc-scale circuit breaker, by outcome")
			.baseUnit("calls")
			.tags(tags)
			.tag("outcome", outcome)
			.register(meterRegistry);
	}

}
