package dev.grpcscale.autoconfigure.metrics;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import dev.grpcscale.cluster.AbstractLeaderElection;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeadershipEvent;

/**
 * The meters of leader elections, each tagged {@code election} (the election's name):
 * <ul>
 * <li>{@value #LEADER} (gauge): 1 while this node is leader ({@link LeaderElection#isLeader()}), else 0;</li>
 * <li>{@value #FENCING_TOKEN} (gauge): the highest fencing token this node has seen (its own or the
 * observed leader's; the Raft term for {@code raft});</li>
 * <li>{@value #LEASE_RENEWAL} (function timer): the round trip of each confirmed lease renewal
 * (heartbeat), from send to the backend's confirmation;</li>
 * <li>{@value #TRANSITIONS} (counter): leadership changes of this node by {@code type}
 * ({@code granted}, {@code revoked}).</li>
 * </ul>
 * Gauges and the timer read the election's own state at scrape time; the transitions are counted from
 * the election's leadership events (not per call) from this binder's creation. Elections not built on {@link AbstractLeaderElection} get no
 * renewal timer.
 */
public class ClusterMeterBinder implements MeterBinder {

	/** Whether this node leads. */
	public static final String LEADER = "grpc.scale.cluster.leader";

	/** The highest fencing token seen. */
	public static final String FENCING_TOKEN = "grpc.scale.cluster.fencing.token";

	/** Lease renewal (heartbeat) round trips. */
	public static final String LEASE_RENEWAL = "grpc.scale.cluster.lease.renewal";

	/** Leadership transitions of this node. */
	public static final String TRANSITIONS = "grpc.scale.cluster.leadership.transitions";

	private final List<LeaderElection> elections;

	/** Granted and revoked counts per election, counted from this binder's creation. */
	private final Map<LeaderElection, LongAdder[]> transitions = new IdentityHashMap<>();

	/**
	 * Creates the binder and starts counting the elections' leadership transitions.
	 * @param elections the elections to measure
	 */
	public ClusterMeterBinder(List<LeaderElection> elections) {
		this.elections = List.copyOf(Objects.requireNonNull(elections, "elections"));
		for (LeaderElection election : this.elections) {
			LongAdder[] counts = { new LongAdder(), new LongAdder() };
			this.transitions.put(election, counts);
			election.addListener((event) -> {
				if (event.type() == LeadershipEvent.Type.GRANTED) {
					counts[0].increment();
				}
				else if (event.type() == LeadershipEvent.Type.REVOKED) {
					counts[1].increment();
				}
			});
		}
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (LeaderElection election : this.elections) {
			Tags tags = Tags.of("election", election.settings().electionName());
			Gauge.builder(LEADER, election, (e) -> e.isLeader() ? 1 : 0)
				.description("Whether this node is the election's leader (1) or not (0)")
				.tags(tags)
				.strongReference(true)
				.register(registry);
			Gauge.builder(FENCING_TOKEN, election, LeaderElection::highestFencingTokenSeen)
				.description("The highest fencing token (term) this node has seen in the election")
				.tags(tags)
				.strongReference(true)
				.register(registry);
			if (election instanceof AbstractLeaderElection<?> engine) {
				FunctionTimer
					.builder(LEASE_RENEWAL, engine, AbstractLeaderElection::leaseRenewalCount,
							AbstractLeaderElection::leaseRenewalTotalNanos, TimeUnit.NANOSECONDS)
					.description("Round trip of confirmed lease renewals (heartbeats) of the election")
					.tags(tags)
					.register(registry);
			}
			LongAdder[] counts = this.transitions.get(election);
			transitions(registry, tags, "granted", counts[0]);
			transitions(registry, tags, "revoked", counts[1]);
		}
	}

	private static void transitions(MeterRegistry registry, Tags tags, String type, LongAdder count) {
		FunctionCounter.builder(TRANSITIONS, count, LongAdder::doubleValue)
			.description("Leadership changes of this node in the election")
			.tags(tags)
			.tag("type", type)
			.register(registry);
	}

}
