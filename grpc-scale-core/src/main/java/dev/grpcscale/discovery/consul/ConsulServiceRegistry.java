package dev.grpcscale.discovery.consul;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import tools.jackson.databind.ObjectMapper;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.consul.ConsulConnection;
import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.ServiceRegistry;
import dev.grpcscale.internal.DaemonThreads;
import dev.grpcscale.metrics.DiscoveryLatencies;
import dev.grpcscale.metrics.LatencyTally;

/**
 * Service registry and discovery on a Consul agent's HTTP API.
 *
 * <p><b>Registration.</b> {@link #register} sends {@code PUT /v1/agent/service/register} with the
 * instance's id (the Consul service ID), name, address, port, the configured tags, its metadata as
 * {@code Meta}, and one check: a {@link ConsulCheckType#GRPC} check that the agent runs against the
 * instance's own {@code grpc.health.v1} service, or a {@link ConsulCheckType#TTL} check that this registry
 * passes every TTL/3. Either check carries {@code DeregisterCriticalServiceAfter}, so the agent removes
 * an instance whose process died. A background task (thread {@code grpc-scale-consul-registrar-*})
 * re-registers an owned instance the agent no longer knows (a TTL pass answered "unknown check", or
 * {@code GET /v1/agent/service/<id>} answered 404, as after an agent restart without its data
 * directory). {@link #close()} deregisters what this registry registered.
 *
 * <p><b>Discovery.</b> The first read or watch of a service starts a loop of blocking queries on
 * {@code GET /v1/health/service/<name>?passing=true}, each answer starting the next query (no thread per
 * watch); a failed query is restarted with jittered exponential backoff ({@link Builder#retryBackoff});
 * reads are then served from its cache. While the agent is unreachable the last known instances keep
 * being served and {@link #status()} reports {@code reachable=false}. A service's loop stops once it has no
 * watcher and was not read for {@link Builder#watchIdleTimeout} (default 5m; checked every half of it, at
 * most every 30s), so services an application asked about once do not keep a query (and an HTTP
 * connection) open for ever; the next read or watch starts it again, the read waiting for a fresh answer
 * as a first read does.
 *
 * <pre>{@code
 * try (ConsulServiceRegistry consul = ConsulServiceRegistry.builder()
 *         .connection(ConsulConnection.builder().host("consul.local").token(aclToken).build())
 *         .checkType(ConsulCheckType.TTL).build()) {
 *     consul.register(ServiceDefinition.of("product-service", "10.0.0.5", 9090).toInstance(Instant.now()));
 *     List<ServiceInstance> users = consul.getInstances("user-service");
 * }
 * }</pre>
 *
 * <p><b>Limits.</b> Only passing instances are read, so {@link #getAllInstances} returns the same list as
 * {@link #getInstances}. {@link #getServiceNames()} names the services this registry reads or watches
 * (whose loop runs), not the whole catalog. Each such service keeps one HTTP connection while its loop
 * runs. Instance ids are Consul service IDs, which must be unique per agent. Consul
 * does not record a registration time: discovered instances carry the time this registry first saw
 * them. Metadata must satisfy Consul's {@code Meta} rules (checked by {@link #register}). The JDK's
 * {@code HttpClient} keeps a selector thread of its own name until it is garbage collected (Java 17 has
 * no {@code HttpClient.close()}).
 *
 * <p><b>Client.</b> HTTP goes through a {@link ConsulClient}: the application's, shared with the leader
 * election ({@link Builder#client(ConsulClient)}; not closed by the registry), or one of its own built on
 * {@link Builder#connection(ConsulConnection)} and closed by {@link #close()}.
 *
 * <p><b>Latencies</b> ({@link DiscoveryLatencies}): the agent's answer to the registration request of
 * {@link #register}, each confirmed TTL pass (with {@link ConsulCheckType#TTL} checks; a gRPC check is run
 * by the agent and renews nothing here), and, for each blocking-query answer that changed a service's list,
 * the time from the answer's arrival to the list handed to every watcher.
 *
 * <p>The ACL token is sent as the {@code X-Consul-Token} header only; it is never logged, shown by
 * {@link #status()} or {@link #toString()}. Thread-safe.
 */
public final class ConsulServiceRegistry implements ServiceRegistry, ServiceDiscovery, DiscoveryLatencies {

	private static final Logger logger = LoggerFactory.getLogger(ConsulServiceRegistry.class);

	private final ConsulClient client;

	private final boolean ownsClient;

	private final AgentReachability reachability;

	private final ConsulCheckType checkType;

	private final @Nullable String datacenter;

	private final boolean tokenSet;

	private final ScheduledExecutorService scheduler;

	private final boolean ownsScheduler;

	private final AtomicBoolean closed = new AtomicBoolean();

	private final ConsulRegistrations registrations;

	private final ConsulKeepAlive keepAlive;

	private final ConsulWatches watches;

	private ConsulServiceRegistry(Builder builder, ConsulClient client, boolean ownsClient) {
		this.client = client;
		this.ownsClient = ownsClient;
		this.checkType = builder.checkType;
		this.datacenter = builder.datacenter;
		this.tokenSet = client.connection().token() != null;
		this.reachability = new AgentReachability(client.connection().agent());
		this.ownsScheduler = builder.scheduler == null;
		this.scheduler = (builder.scheduler != null) ? builder.scheduler
				: Executors.newSingleThreadScheduledExecutor(DaemonThreads.numbered("grpc-scale-consul-registrar-"));
		ObjectMapper mapper = new ObjectMapper();
		ConsulAgentRequests requests = new ConsulAgentRequests(client, this.reachability);
		this.registrations = new ConsulRegistrations(requests, new ConsulServiceDefinition(mapper, builder.checkType,
				builder.grpcUseTls, builder.checkInterval, builder.deregisterCriticalAfter, builder.tags), this.closed);
		this.keepAlive = new ConsulKeepAlive(requests, this.registrations, builder.checkType, builder.checkInterval,
				this.closed, this.scheduler);
		ConsulWatches.Settings watchSettings = new ConsulWatches.Settings(builder.blockingQueryWait,
				builder.initialBackoff, builder.maxBackoff, builder.queryRateInterval, builder.datacenter,
				builder.watchIdleTimeout);
		this.watches = new ConsulWatches(new ConsulWatches.Shared(client, new ConsulHealthParser(mapper),
				this.reachability, builder.clock, this.scheduler, watchSettings, new LatencyTally()), this.closed);
	}

	/** Starts a builder; every setting has a default, see {@link Builder}. */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * A registry on the agent at {@code host:port} over plain HTTP, with every other setting at its
	 * default.
	 * @throws IllegalArgumentException if the host or port is invalid
	 */
	public static ConsulServiceRegistry of(String host, int port) {
		return builder().connection(ConsulConnection.of(host, port)).build();
	}

	/**
	 * Registers an instance with the agent, or replaces the one with the same id. With a
	 * {@link ConsulCheckType#TTL} check an {@link InstanceStatus#UP} instance is passed at once, so it is
	 * discoverable without waiting for the first pass period; a {@link InstanceStatus#DOWN} one is never
	 * passed and stays critical.
	 * @throws IllegalArgumentException if the metadata breaks Consul's {@code Meta} rules, or the id is
	 * already registered here for another service
	 * @throws DiscoveryException if the agent could not be reached or refused the registration; the
	 * instance is then not kept by this registry
	 */
	@Override
	public void register(ServiceInstance instance) {
		Objects.requireNonNull(instance, "instance");
		ensureOpen();
		this.registrations.register(instance);
		this.keepAlive.registered(instance);
	}

	/** {@code consul}. */
	@Override
	public String latencyProvider() {
		return "consul";
	}

	/** The agent's answer time to the registration request of each {@link #register} call that succeeded. */
	@Override
	public LatencyTally registrations() {
		return this.registrations.registrationTimes();
	}

	/**
	 * From the arrival of a blocking query's answer that changed a service's passing instances to the new
	 * list handed to every watcher of that service.
	 */
	@Override
	public LatencyTally watchLag() {
		return this.watches.watchLag();
	}

	/**
	 * The round trip of each TTL pass the agent confirmed, with {@link ConsulCheckType#TTL} checks;
	 * {@code null} with {@link ConsulCheckType#GRPC} checks, which the agent runs itself.
	 */
	@Override
	public @Nullable LatencyTally leaseRenewals() {
		return this.keepAlive.passTimes();
	}

	/**
	 * Deregisters an instance this registry registered ({@code PUT /v1/agent/service/deregister/<id>}).
	 * The instance stops being kept alive even when the request fails; with a TTL check it then turns
	 * critical and the agent removes it after {@code deregisterCriticalAfter}.
	 * @return {@code false} without contacting the agent when this registry did not register the instance
	 * @throws DiscoveryException if the agent could not be reached or refused the request
	 */
	@Override
	public boolean deregister(String serviceName, String instanceId) {
		Objects.requireNonNull(serviceName, "serviceName");
		Objects.requireNonNull(instanceId, "instanceId");
		ensureOpen();
		return this.registrations.deregister(serviceName, instanceId);
	}

	/**
	 * The passing instances of a service, sorted by id. The first call for a service starts its watch and
	 * waits up to the request timeout for the first answer; later calls read the cache. Empty once the
	 * registry is closed.
	 * @throws IllegalArgumentException if the name is not a valid service name
	 */
	@Override
	public List<ServiceInstance> getInstances(String serviceName) {
		ServiceInstance.checkName("serviceName", serviceName);
		return this.watches.instances(serviceName);
	}

	/** Same as {@link #getInstances}: only passing instances are read from Consul. */
	@Override
	public List<ServiceInstance> getAllInstances(String serviceName) {
		return getInstances(serviceName);
	}

	/** The services this registry reads or watches that have at least one passing instance, sorted. */
	@Override
	public Set<String> getServiceNames() {
		return this.watches.serviceNames();
	}

	/**
	 * Follows a service's passing instances without blocking the caller. The listener receives the
	 * current list at once when the service is already cached, otherwise after the first answer (an empty
	 * list when the first query fails), then every change; it is called on an HTTP thread of the client.
	 * @throws IllegalArgumentException if the name is not a valid service name
	 * @throws IllegalStateException if the registry is closed
	 */
	@Override
	public Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
		ServiceInstance.checkName("serviceName", serviceName);
		Objects.requireNonNull(listener, "listener");
		return this.watches.watch(serviceName, listener);
	}

	/**
	 * Provider {@code consul}; reachable when the agent answered the last request (a watch, a
	 * registration, a TTL pass or a periodic check). Details: {@code agent} (its URI), {@code datacenter}
	 * when set, {@code checkType}, {@code registeredInstances}, {@code watchedServices} and, while failing,
	 * {@code lastError}. Never the ACL token.
	 */
	@Override
	public DiscoveryStatus status() {
		Map<String, Object> details = new LinkedHashMap<>();
		details.put("agent", this.client.agentUri().toString());
		if (this.datacenter != null) {
			details.put("datacenter", this.datacenter);
		}
		details.put("checkType", this.checkType.name());
		details.put("registeredInstances", this.registrations.size());
		details.put("watchedServices", this.watches.size());
		String lastError = this.reachability.lastError();
		if (lastError != null) {
			details.put("lastError", lastError);
		}
		return new DiscoveryStatus("consul", this.reachability.isReachable(), details);
	}

	/**
	 * Deregisters every instance this registry registered (failures are logged), stops the watches and
	 * the threads this registry started. A scheduler passed to the builder is left running. Idempotent.
	 */
	@Override
	public void close() {
		if (!this.closed.compareAndSet(false, true)) {
			return;
		}
		this.keepAlive.stop();
		this.watches.stopReclaiming();
		this.registrations.deregisterAll();
		this.watches.stopAll();
		if (this.ownsScheduler) {
			this.scheduler.shutdownNow();
			awaitTermination(this.scheduler);
		}
		if (this.ownsClient) {
			this.client.close();
		}
	}

	@Override
	public String toString() {
		return "ConsulServiceRegistry[agent=" + this.client.agentUri() + ((this.datacenter != null)
				? ", datacenter=" + this.datacenter : "") + ", checkType=" + this.checkType + ", aclToken="
				+ (this.tokenSet ? "(set)" : "(none)") + "]";
	}

	private void ensureOpen() {
		if (this.closed.get()) {
			throw new IllegalStateException("ConsulServiceRegistry is closed");
		}
	}

	private static void awaitTermination(ExecutorService executor) {
		try {
			if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
				logger.warn("Consul registry threads did not stop within 5 seconds");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Builder for {@link ConsulServiceRegistry}. Setters check their argument at once and throw
	 * {@link IllegalArgumentException} naming the setting, the value and what is expected; {@link #build()}
	 * checks the settings together.
	 */
	public static final class Builder {

		private static final Duration MAX_WAIT = Duration.ofMinutes(10);

		private @Nullable ConsulConnection connection;

		private @Nullable ConsulClient client;

		private @Nullable String datacenter;

		private ConsulCheckType checkType = ConsulCheckType.GRPC;

		private boolean grpcUseTls;

		private Duration checkInterval = Duration.ofSeconds(10);

		private Duration deregisterCriticalAfter = Duration.ofMinutes(1);

		private final List<String> tags = new ArrayList<>();

		private Duration blockingQueryWait = Duration.ofSeconds(55);

		private Duration initialBackoff = Duration.ofSeconds(1);

		private Duration maxBackoff = Duration.ofSeconds(30);

		private Duration queryRateInterval = Duration.ofSeconds(1);

		private Clock clock = Clock.systemUTC();

		private @Nullable ScheduledExecutorService scheduler;

		private Duration watchIdleTimeout = Duration.ofMinutes(5);

		private Builder() {
		}

		/**
		 * How long the blocking-query loop of a service with no watcher keeps running after its last read
		 * (or after its last watcher left) before it is stopped; the next read or watch starts it again,
		 * a read then waiting for the first answer as the first read of a service does. Default 5m.
		 */
		public Builder watchIdleTimeout(Duration watchIdleTimeout) {
			this.watchIdleTimeout = positive("watchIdleTimeout", watchIdleTimeout);
			return this;
		}

		/**
		 * The Consul agent, its TLS settings, ACL token and request timeout (for registration,
		 * deregistration, TTL passes and first reads, and added to the wait of blocking queries); default
		 * {@code http://localhost:8500}, no token, request timeout 10s. The registry builds a
		 * {@link ConsulClient} of its own on it and closes it; excludes {@link #client(ConsulClient)}.
		 */
		public Builder connection(ConsulConnection connection) {
			this.connection = Objects.requireNonNull(connection, "connection");
			return this;
		}

		/**
		 * The application's Consul client, shared with other users such as the leader election; the registry
		 * neither configures nor closes it (close it after the registry). Excludes
		 * {@link #connection(ConsulConnection)}. Default: a client of the registry's own on the connection.
		 */
		public Builder client(ConsulClient client) {
			this.client = Objects.requireNonNull(client, "client");
			return this;
		}

		/**
		 * Datacenter whose instances are discovered ({@code dc} of health queries); default the agent's
		 * own. Registration always goes to the agent's datacenter.
		 */
		public Builder datacenter(String datacenter) {
			Objects.requireNonNull(datacenter, "datacenter");
			if (datacenter.isBlank()) {
				throw new IllegalArgumentException("datacenter: '" + datacenter + "' (expected: a datacenter name)");
			}
			this.datacenter = datacenter.strip();
			return this;
		}

		/** Health check registered with each instance; default {@link ConsulCheckType#GRPC}. */
		public Builder checkType(ConsulCheckType checkType) {
			this.checkType = Objects.requireNonNull(checkType, "checkType");
			return this;
		}

		/** Whether the agent's gRPC check uses TLS ({@code GRPCUseTLS}); default {@code false}. */
		public Builder grpcUseTls(boolean grpcUseTls) {
			this.grpcUseTls = grpcUseTls;
			return this;
		}

		/**
		 * gRPC checks: how often the agent probes ({@code Interval}; Consul raises values below 1s to 1s).
		 * TTL checks: the {@code TTL}, passed every third of it. Default 10s.
		 */
		public Builder checkInterval(Duration checkInterval) {
			this.checkInterval = positive("checkInterval", checkInterval);
			return this;
		}

		/**
		 * {@code DeregisterCriticalServiceAfter}: how long an instance may stay critical before the agent
		 * removes it. Default 1m, which is also Consul's minimum (its reaper runs every 30s).
		 */
		public Builder deregisterCriticalAfter(Duration deregisterCriticalAfter) {
			this.deregisterCriticalAfter = positive("deregisterCriticalAfter", deregisterCriticalAfter);
			return this;
		}

		/** Tags registered with every instance, replacing earlier ones; default none. */
		public Builder tags(Collection<String> tags) {
			Objects.requireNonNull(tags, "tags");
			List<String> checked = new ArrayList<>(tags.size());
			for (String tag : tags) {
				if (tag == null || tag.isBlank()) {
					throw new IllegalArgumentException("tags: " + tags + " (expected: non-blank tags)");
				}
				checked.add(tag);
			}
			this.tags.clear();
			this.tags.addAll(checked);
			return this;
		}

		/** Same as {@link #tags(Collection)}. */
		public Builder tags(String... tags) {
			return tags(Arrays.asList(tags));
		}

		/** {@code wait} of blocking queries, above 0 and at most 10m (Consul's limit); default 55s. */
		public Builder blockingQueryWait(Duration blockingQueryWait) {
			positive("blockingQueryWait", blockingQueryWait);
			if (blockingQueryWait.compareTo(MAX_WAIT) > 0) {
				throw new IllegalArgumentException(
						"blockingQueryWait: " + blockingQueryWait + " (expected: > 0 and <= PT10M)");
			}
			this.blockingQueryWait = blockingQueryWait;
			return this;
		}

		/**
		 * Pause after a failed query, doubling on each further failure up to {@code max}, each pause less a
		 * random part of up to half of it (jitter); reset by a successful query. Defaults 1s and 30s.
		 */
		public Builder retryBackoff(Duration initial, Duration max) {
			positive("retryBackoff.initial", initial);
			positive("retryBackoff.max", max);
			if (max.compareTo(initial) < 0) {
				throw new IllegalArgumentException(
						"retryBackoff.max: " + max + " (expected: >= retryBackoff.initial " + initial + ")");
			}
			this.initialBackoff = initial;
			this.maxBackoff = max;
			return this;
		}

		/**
		 * Rate limit of each service's blocking queries: after a burst of two, at most one query per
		 * interval, so a fast-changing result is polled instead of queried in a busy loop (Consul's
		 * guidance). Quiet services are never delayed. Default 1s.
		 */
		public Builder queryRateLimit(Duration interval) {
			this.queryRateInterval = positive("queryRateLimit", interval);
			return this;
		}

		/** Clock for the registration time of discovered instances; default the UTC system clock. */
		public Builder clock(Clock clock) {
			this.clock = Objects.requireNonNull(clock, "clock");
			return this;
		}

		/**
		 * Scheduler for the keep-alive rounds (TTL passes, re-registration) and the rate-limit pauses of the
		 * watches; it is not shut down by
		 * {@link ConsulServiceRegistry#close()}. Default: a thread of the registry's own, stopped on close.
		 */
		public Builder scheduler(ScheduledExecutorService scheduler) {
			this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
			return this;
		}

		/**
		 * Builds the registry and starts its keep-alive task (which first checks the agent is reachable);
		 * watches start on the first read or watch of a service.
		 * @throws IllegalArgumentException if the settings do not fit together
		 */
		public ConsulServiceRegistry build() {
			if (this.checkType == ConsulCheckType.TTL && this.checkInterval.compareTo(Duration.ofMillis(3)) < 0) {
				throw new IllegalArgumentException("checkInterval: " + this.checkInterval
						+ " (expected: >= PT0.003S with TTL checks, which are passed every third of it)");
			}
			if (this.client != null) {
				if (this.connection != null) {
					throw new IllegalArgumentException(
							"client: given together with a connection (expected: one of them; the client has its connection)");
				}
				return new ConsulServiceRegistry(this, this.client, false);
			}
			ConsulConnection connection = (this.connection != null) ? this.connection
					: ConsulConnection.builder().build();
			return new ConsulServiceRegistry(this, ConsulClient.create(connection), true);
		}

		private static Duration positive(String name, Duration value) {
			Objects.requireNonNull(value, name);
			if (value.isNegative() || value.isZero()) {
				throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
			}
			return value;
		}

	}

}
