package dev.grpcscale.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.discovery.ServiceInstance;

/**
 * The settings of a {@link LeaderElection}, shared by every provider. Build with {@link #builder()}, or
 * {@link #of(String)} for the defaults with a given node id.
 *
 * <pre>{@code
 * LeaderElectionSettings settings = LeaderElectionSettings.builder()
 *     .nodeId("orders-1").address("10.0.0.7:9090")
 *     .heartbeatInterval(Duration.ofSeconds(2)).electionTimeout(Duration.ofSeconds(6))
 *     .build();
 * }</pre>
 *
 * <p>Defaults: a random node id, address {@code ""}, no expected nodes, campaigning on, heartbeat interval
 * 5 s, election timeout 15 s, safety margin {@code min(electionTimeout / 10, (electionTimeout -
 * heartbeatInterval) / 2)}, namespace {@code grpc-scale}, election name {@code default}, the
 * {@link System#nanoTime()} ticker, the system UTC clock and a scheduler of the election's own.
 *
 * <p>Setters reject bad values at once with an {@link IllegalArgumentException} naming the setting, the
 * value and what is expected; {@link Builder#build()} checks the settings against each other.
 */
public final class LeaderElectionSettings {

	/**
	 * The namespace grpc-scale's elections live in unless told otherwise: the key prefix on etcd and Consul,
	 * the Lease name's prefix on Kubernetes, the group on Raft and in memory.
	 */
	public static final String DEFAULT_NAMESPACE = "grpc-scale";

	private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

	private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9._/-]+");

	private final String nodeId;

	private final Supplier<String> address;

	private final List<String> nodes;

	private final boolean leaderElection;

	private final Duration heartbeatInterval;

	private final Duration electionTimeout;

	private final Duration safetyMargin;

	private final String namespace;

	private final String electionName;

	private final LongSupplier ticker;

	private final Clock clock;

	private final @Nullable ScheduledExecutorService scheduler;

	private final @Nullable Executor listenerExecutor;

	private LeaderElectionSettings(Builder builder, Duration safetyMargin) {
		this.nodeId = (builder.nodeId != null) ? builder.nodeId : UUID.randomUUID().toString();
		this.address = builder.address;
		this.nodes = builder.nodes;
		this.leaderElection = builder.leaderElection;
		this.heartbeatInterval = builder.heartbeatInterval;
		this.electionTimeout = builder.electionTimeout;
		this.safetyMargin = safetyMargin;
		this.namespace = builder.namespace;
		this.electionName = builder.electionName;
		this.ticker = builder.ticker;
		this.clock = builder.clock;
		this.scheduler = builder.scheduler;
		this.listenerExecutor = builder.listenerExecutor;
	}

	/** Starts a builder with the defaults. */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * The defaults with the given node id.
	 * @param nodeId the node id
	 * @return the settings
	 * @throws IllegalArgumentException if the node id is invalid
	 */
	public static LeaderElectionSettings of(String nodeId) {
		return builder().nodeId(nodeId).build();
	}

	/** This node's id: letters, digits, {@code .}, {@code _}, {@code -}; default a random UUID. */
	public String nodeId() {
		return this.nodeId;
	}

	/**
	 * The address this node announces, for example {@code 10.0.0.7:9090}; default {@code ""}. Given as a
	 * supplier, it is read anew on every call: when the node opens a session, when it announces itself,
	 * and when it reports itself as leader.
	 */
	public String address() {
		return this.address.get();
	}

	/** Node ids expected in the cluster, listed in the status even before they announce themselves. */
	public List<String> nodes() {
		return this.nodes;
	}

	/** Whether this node campaigns for leadership (otherwise it only announces itself); default true. */
	public boolean leaderElection() {
		return this.leaderElection;
	}

	/** How often this node renews its lease and announces itself; default 5 s. */
	public Duration heartbeatInterval() {
		return this.heartbeatInterval;
	}

	/**
	 * How long the backend keeps a silent node's lease, so how long a dead leader keeps leadership before
	 * another node may take it; default 15 s.
	 */
	public Duration electionTimeout() {
		return this.electionTimeout;
	}

	/**
	 * How much earlier than {@link #electionTimeout()} after its last confirmed renewal a leader stops
	 * claiming leadership; it absorbs clock-rate differences between this node and the backend.
	 */
	public Duration safetyMargin() {
		return this.safetyMargin;
	}

	/** {@code electionTimeout - safetyMargin}: how long a confirmed renewal keeps this node leader. */
	public Duration leaseValidity() {
		return this.electionTimeout.minus(this.safetyMargin);
	}

	/** The namespace (key prefix in etcd, shared group in memory); default {@code grpc-scale}. */
	public String namespace() {
		return this.namespace;
	}

	/** The name of the election inside the namespace; default {@code default}. */
	public String electionName() {
		return this.electionName;
	}

	/**
	 * The election's name as every log line of grpc-scale gives it: {@code <namespace>/<electionName>}, for
	 * example {@code grpc-scale/quote-service} ({@link #electionName()} alone when the namespace is empty).
	 * @return the qualified name
	 */
	public String qualifiedName() {
		return this.namespace.isEmpty() ? this.electionName : this.namespace + "/" + this.electionName;
	}

	/** The monotonic ticker in nanoseconds that leases are counted on; default {@link System#nanoTime()}. */
	public LongSupplier ticker() {
		return this.ticker;
	}

	/** The wall clock for announced heartbeats and member status; default the system UTC clock. */
	public Clock clock() {
		return this.clock;
	}

	/**
	 * The scheduler for renewals and checks, or {@code null} for one the election starts (thread
	 * {@code grpc-scale-cluster-<nodeId>}) and stops on close. A given scheduler is not shut down.
	 */
	public @Nullable ScheduledExecutorService scheduler() {
		return this.scheduler;
	}

	/**
	 * Where listeners run, or {@code null} for threads the election starts
	 * ({@code grpc-scale-cluster-events-<nodeId>-<n>}, at most one per listener at a time) and stops on close.
	 * Each listener gets its events in order, one at a time, whatever the executor.
	 */
	public @Nullable Executor listenerExecutor() {
		return this.listenerExecutor;
	}

	@Override
	public String toString() {
		return "LeaderElectionSettings[nodeId=" + this.nodeId + ", address=" + address() + ", nodes="
				+ this.nodes + ", leaderElection=" + this.leaderElection + ", heartbeatInterval="
				+ this.heartbeatInterval + ", electionTimeout=" + this.electionTimeout + ", safetyMargin="
				+ this.safetyMargin + ", namespace=" + this.namespace + ", electionName=" + this.electionName
				+ "]";
	}

	/** Builds {@link LeaderElectionSettings}; see the class notes for defaults. Not thread-safe. */
	public static final class Builder {

		private @Nullable String nodeId;

		private Supplier<String> address = () -> "";

		private List<String> nodes = List.of();

		private boolean leaderElection = true;

		private Duration heartbeatInterval = Duration.ofSeconds(5);

		private Duration electionTimeout = Duration.ofSeconds(15);

		private @Nullable Duration safetyMargin;

		private String namespace = DEFAULT_NAMESPACE;

		private String electionName = "default";

		private LongSupplier ticker = System::nanoTime;

		private Clock clock = Clock.systemUTC();

		private @Nullable ScheduledExecutorService scheduler;

		private @Nullable Executor listenerExecutor;

		private Builder() {
		}

		/**
		 * This node's id; default a random UUID.
		 * @throws IllegalArgumentException if not letters, digits, {@code .}, {@code _} or {@code -}
		 */
		public Builder nodeId(String nodeId) {
			ServiceInstance.checkName("nodeId", nodeId);
			this.nodeId = nodeId;
			return this;
		}

		/** The address this node announces, for example {@code 10.0.0.7:9090}; default {@code ""}. */
		public Builder address(String address) {
			Objects.requireNonNull(address, "address");
			this.address = () -> address;
			return this;
		}

		/**
		 * The address this node announces, known only later, for example once a server has bound its port:
		 * read when the node opens a session and on every announcement, never cached. The supplier must
		 * return quickly, never {@code null} and never throw; its value should be settled by the time the
		 * node joins, since a provider may keep the value of the session's opening (for example as the
		 * leader's address) until the next session.
		 */
		public Builder address(Supplier<String> address) {
			this.address = Objects.requireNonNull(address, "address");
			return this;
		}

		/**
		 * The node ids expected in the cluster; default none.
		 * @throws IllegalArgumentException if an id is invalid
		 */
		public Builder nodes(List<String> nodes) {
			Objects.requireNonNull(nodes, "nodes");
			for (String node : nodes) {
				ServiceInstance.checkName("nodes[]", node);
			}
			this.nodes = List.copyOf(nodes);
			return this;
		}

		/** Whether this node campaigns for leadership; default true. */
		public Builder leaderElection(boolean leaderElection) {
			this.leaderElection = leaderElection;
			return this;
		}

		/**
		 * How often the lease is renewed; default 5 s.
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder heartbeatInterval(Duration heartbeatInterval) {
			this.heartbeatInterval = positive("heartbeatInterval", heartbeatInterval);
			return this;
		}

		/**
		 * How long a silent node keeps its lease; default 15 s.
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder electionTimeout(Duration electionTimeout) {
			this.electionTimeout = positive("electionTimeout", electionTimeout);
			return this;
		}

		/**
		 * How much earlier than the election timeout a leader stops claiming leadership; default
		 * {@code min(electionTimeout / 10, (electionTimeout - heartbeatInterval) / 2)}.
		 * @throws IllegalArgumentException if negative
		 */
		public Builder safetyMargin(Duration safetyMargin) {
			Objects.requireNonNull(safetyMargin, "safetyMargin");
			if (safetyMargin.isNegative()) {
				throw new IllegalArgumentException("safetyMargin: " + safetyMargin + " (expected: >= 0)");
			}
			this.safetyMargin = safetyMargin;
			return this;
		}

		/**
		 * The namespace; default {@code grpc-scale}.
		 * @throws IllegalArgumentException if empty or holding other characters than letters, digits,
		 * {@code .}, {@code _}, {@code -} and {@code /}
		 */
		public Builder namespace(String namespace) {
			Objects.requireNonNull(namespace, "namespace");
			if (!NAMESPACE.matcher(namespace).matches()) {
				throw new IllegalArgumentException("namespace: '" + namespace
						+ "' (expected: letters, digits, '.', '_', '-' or '/', not empty)");
			}
			this.namespace = namespace;
			return this;
		}

		/**
		 * The election name; default {@code default}.
		 * @throws IllegalArgumentException if not letters, digits, {@code .}, {@code _} or {@code -}
		 */
		public Builder electionName(String electionName) {
			Objects.requireNonNull(electionName, "electionName");
			if (!SEGMENT.matcher(electionName).matches()) {
				throw new IllegalArgumentException("electionName: '" + electionName
						+ "' (expected: letters, digits, '.', '_' or '-', not empty)");
			}
			this.electionName = electionName;
			return this;
		}

		/** The monotonic nanosecond ticker; default {@link System#nanoTime()}. For tests. */
		public Builder ticker(LongSupplier ticker) {
			this.ticker = Objects.requireNonNull(ticker, "ticker");
			return this;
		}

		/** The wall clock for heartbeats; default the system UTC clock. */
		public Builder clock(Clock clock) {
			this.clock = Objects.requireNonNull(clock, "clock");
			return this;
		}

		/** A scheduler to use instead of the election's own; the election does not shut it down. */
		public Builder scheduler(@Nullable ScheduledExecutorService scheduler) {
			this.scheduler = scheduler;
			return this;
		}

		/**
		 * An executor for listeners instead of the election's own threads; the election does not shut it down.
		 * It should run tasks on threads other than the scheduler's: a listener run on the election's thread
		 * (for example with a direct executor, as a deterministic test may use) delays it.
		 */
		public Builder listenerExecutor(@Nullable Executor listenerExecutor) {
			this.listenerExecutor = listenerExecutor;
			return this;
		}

		/**
		 * Builds the settings.
		 * @throws IllegalArgumentException if {@code heartbeatInterval >= electionTimeout}, or if
		 * {@code safetyMargin >= electionTimeout - heartbeatInterval} (the lease would lapse between
		 * renewals)
		 */
		public LeaderElectionSettings build() {
			if (this.heartbeatInterval.compareTo(this.electionTimeout) >= 0) {
				throw new IllegalArgumentException("heartbeatInterval: " + this.heartbeatInterval
						+ " (expected: < electionTimeout " + this.electionTimeout + ")");
			}
			Duration slack = this.electionTimeout.minus(this.heartbeatInterval);
			Duration margin = this.safetyMargin;
			if (margin == null) {
				Duration tenth = this.electionTimeout.dividedBy(10);
				Duration half = slack.dividedBy(2);
				margin = (tenth.compareTo(half) <= 0) ? tenth : half;
			}
			else if (margin.compareTo(slack) >= 0) {
				throw new IllegalArgumentException("safetyMargin: " + margin
						+ " (expected: < electionTimeout - heartbeatInterval " + slack + ")");
			}
			return new LeaderElectionSettings(this, margin);
		}

		private static Duration positive(String name, Duration value) {
			Objects.requireNonNull(value, name);
			if (value.isZero() || value.isNegative()) {
				throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
			}
			return value;
		}

	}

}
