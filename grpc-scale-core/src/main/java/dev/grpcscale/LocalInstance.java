package dev.grpcscale;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.ServiceRegistry;

/**
 * This application's instance as the rest of the fleet sees it: its gRPC health, its registrations with
 * discovery and its membership of the cluster, with one owner for their lifecycle.
 * {@link #start(Collection)} registers and joins: gRPC health back to {@code SERVING} if this object had
 * turned it {@code NOT_SERVING}, every registration (those given, and those stopped earlier) written to the
 * registry, then the node joins its election. {@link #stop(boolean)} undoes the same steps in reverse order
 * of their effect on callers: {@code NOT_SERVING} first, so health watchers stop sending calls, then
 * deregistration, then the node resigns leadership. {@code stop} then {@code start} brings the instance back
 * {@code SERVING}, registered under the same instance ids and campaigning again. A final stop (the
 * application is closing) keeps gRPC health {@code NOT_SERVING} for good.
 *
 * <p>Each step that fails is logged and the next still runs. Thread-safe: starts, stops and registrations
 * are serialised.
 */
public final class LocalInstance {

	private static final Logger logger = LoggerFactory.getLogger(LocalInstance.class);

	private final @Nullable ServiceRegistry registry;

	private final @Nullable HealthStatusManager health;

	private final Supplier<? extends Collection<String>> servedServices;

	private final @Nullable LeaderElection leaderElection;

	private final Clock clock;

	/** Every registration this instance owns, registered now or not, by {@code service/instance id}. */
	private final Map<String, ServiceDefinition> definitions = new LinkedHashMap<>();

	/** The keys of the definitions the last start was given: the next start's replace them. */
	private Set<String> startDefinitions = Set.of();

	/** The registrations written to the registry and not removed since. */
	private final Map<String, ServiceInstance> registered = new LinkedHashMap<>();

	private State state = State.NEW;

	private LocalInstance(Builder builder) {
		this.registry = builder.registry;
		this.health = builder.health;
		this.servedServices = builder.servedServices;
		this.leaderElection = builder.leaderElection;
		this.clock = builder.clock;
	}

	/** Starts a builder; every part is optional. */
	public static Builder builder() {
		return new Builder();
	}

	/** Where this instance is in its lifecycle. */
	public enum State {

		/** Not started yet: registrations are written at once, as when started. */
		NEW,

		/** Started: health as the server sets it, registered, a member of the cluster. */
		STARTED,

		/** Stopped: {@code NOT_SERVING}, deregistered, resigned; registrations wait for the next start. */
		STOPPED,

		/** Stopped for good, as the application closes. */
		CLOSED

	}

	/**
	 * Starts the instance again with the registrations it had: those the last start was given and those
	 * made with {@link #register}; see {@link #start(Collection)}.
	 */
	public synchronized void start() {
		List<ServiceDefinition> previous = new ArrayList<>();
		for (String key : this.startDefinitions) {
			ServiceDefinition definition = this.definitions.get(key);
			if (definition != null) {
				previous.add(definition);
			}
		}
		start(previous);
	}

	/**
	 * Starts the instance, or does nothing if it is started or closed: gRPC health back to {@code SERVING}
	 * after a stop, every registration written (the {@code definitions}, then those kept from before), and
	 * the node joins its election.
	 * @param definitions registrations to add, for example the services the gRPC server that just started
	 * serves: they replace those the previous start was given (a server may come back on another port),
	 * while registrations made with {@link #register} are kept
	 */
	public synchronized void start(Collection<ServiceDefinition> definitions) {
		if (this.state == State.STARTED || this.state == State.CLOSED) {
			return;
		}
		boolean restart = this.state == State.STOPPED;
		Set<String> given = new HashSet<>();
		for (ServiceDefinition definition : definitions) {
			given.add(key(definition.name(), definition.instanceId()));
		}
		for (String previous : this.startDefinitions) {
			if (!given.contains(previous) && !this.registered.containsKey(previous)) {
				this.definitions.remove(previous);
			}
		}
		this.startDefinitions = Set.copyOf(given);
		for (ServiceDefinition definition : definitions) {
			this.definitions.putIfAbsent(key(definition.name(), definition.instanceId()), definition);
		}
		if (restart) {
			markServing();
		}
		this.state = State.STARTED;
		for (ServiceDefinition definition : List.copyOf(this.definitions.values())) {
			if (this.registered.containsKey(key(definition.name(), definition.instanceId()))) {
				continue;
			}
			try {
				write(definition);
			}
			catch (RuntimeException ex) {
				this.definitions.remove(key(definition.name(), definition.instanceId()));
				throw ex;
			}
		}
		if (this.leaderElection != null) {
			this.leaderElection.join();
		}
	}

	/**
	 * Stops the instance, or does nothing if it is stopped already (a final stop of a stopped instance
	 * only keeps health {@code NOT_SERVING} for good): gRPC health turns {@code NOT_SERVING} for
	 * {@code ""} and every served service, every registration is removed from the registry (and kept, to be
	 * written again at the next start), and the node resigns leadership.
	 * @param last whether the application is closing: health then stays {@code NOT_SERVING} for good and
	 * the instance cannot start again
	 */
	public synchronized void stop(boolean last) {
		if (this.state == State.CLOSED || (this.state == State.STOPPED && !last)) {
			return;
		}
		boolean live = this.state != State.STOPPED;
		this.state = last ? State.CLOSED : State.STOPPED;
		if (live) {
			logger.info("Stopping this instance: gRPC health NOT_SERVING, deregistration, then leadership resignation");
		}
		markNotServing(last);
		if (live) {
			removeAll();
			resign();
		}
	}

	/**
	 * Adds a registration: written to the registry now, or at the next start while the instance is
	 * stopped, and removed at every stop.
	 * @param definition what to register
	 * @return the instance as registered (or to be registered)
	 * @throws IllegalStateException if there is no registry, or the instance is closed
	 * @throws dev.grpcscale.discovery.DiscoveryException if the backend refused it
	 */
	public synchronized ServiceInstance register(ServiceDefinition definition) {
		Objects.requireNonNull(definition, "definition");
		requireRegistry();
		if (this.state == State.CLOSED) {
			throw new IllegalStateException(
					"Cannot register '" + definition.name() + "': graceful shutdown has started");
		}
		String key = key(definition.name(), definition.instanceId());
		if (this.state == State.STOPPED) {
			this.definitions.put(key, definition);
			return definition.toInstance(this.clock.instant());
		}
		ServiceInstance instance = write(definition);
		this.definitions.put(key, definition);
		return instance;
	}

	/**
	 * Removes a registration, from the registry and from those written at the next start.
	 * @param serviceName the service name
	 * @param instanceId the instance id
	 * @return whether the registry held it
	 * @throws IllegalStateException if there is no registry
	 */
	public synchronized boolean deregister(String serviceName, String instanceId) {
		ServiceRegistry target = requireRegistry();
		String key = key(serviceName, instanceId);
		this.definitions.remove(key);
		this.registered.remove(key);
		boolean removed = target.deregister(serviceName, instanceId);
		if (removed) {
			logger.info("Deregistered {} instance {}", serviceName, instanceId);
		}
		return removed;
	}

	/** The registrations written to the registry and not removed since, by service then instance id. */
	public synchronized List<ServiceInstance> registered() {
		List<ServiceInstance> result = new ArrayList<>(this.registered.values());
		result.sort(Comparator.comparing(ServiceInstance::serviceName).thenComparing(ServiceInstance::instanceId));
		return List.copyOf(result);
	}

	/** Where this instance is in its lifecycle. */
	public synchronized State state() {
		return this.state;
	}

	private ServiceInstance write(ServiceDefinition definition) {
		ServiceInstance instance = definition.toInstance(this.clock.instant());
		requireRegistry().register(instance);
		this.registered.put(key(instance.serviceName(), instance.instanceId()), instance);
		logger.info("Registered {} instance {} at {}", instance.serviceName(), instance.instanceId(),
				instance.address());
		return instance;
	}

	private void removeAll() {
		if (this.registry == null) {
			return;
		}
		for (ServiceInstance instance : List.copyOf(this.registered.values())) {
			try {
				this.registry.deregister(instance.serviceName(), instance.instanceId());
				this.registered.remove(key(instance.serviceName(), instance.instanceId()));
				logger.info("Deregistered {} instance {}", instance.serviceName(), instance.instanceId());
			}
			catch (RuntimeException ex) {
				// one line: the backend is down or stopping, which its message says; the frames say nothing more
				logger.warn("Could not deregister {} instance {} ({}); the registry's close tries once more, else it "
						+ "leaves with the backend's TTL", instance.serviceName(), instance.instanceId(), ex.getMessage());
				logger.debug("Deregistration of {} instance {} failed", instance.serviceName(), instance.instanceId(),
						ex);
			}
		}
	}

	private void resign() {
		if (this.leaderElection == null) {
			return;
		}
		try {
			this.leaderElection.leave();
		}
		catch (RuntimeException ex) {
			logger.warn("Could not resign leadership", ex);
		}
	}

	private void markNotServing(boolean last) {
		setServingStatus(ServingStatus.NOT_SERVING);
		if (last && this.health != null) {
			try {
				// keeps every status NOT_SERVING even if something (Boot's health scheduler) sets it again
				this.health.enterTerminalState();
			}
			catch (RuntimeException ex) {
				logger.warn("Could not keep gRPC health NOT_SERVING", ex);
			}
		}
	}

	private void markServing() {
		setServingStatus(ServingStatus.SERVING);
	}

	private void setServingStatus(ServingStatus status) {
		if (this.health == null) {
			return;
		}
		try {
			this.health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
			for (String service : this.servedServices.get()) {
				this.health.setStatus(service, status);
			}
		}
		catch (RuntimeException ex) {
			logger.warn("Could not set gRPC health to {}", status, ex);
		}
	}

	private ServiceRegistry requireRegistry() {
		if (this.registry == null) {
			throw new IllegalStateException("Service discovery is not enabled: no ServiceRegistry configured");
		}
		return this.registry;
	}

	private static String key(String serviceName, String instanceId) {
		return serviceName + '/' + instanceId;
	}

	/** Settings of a {@link LocalInstance}. */
	public static final class Builder {

		private @Nullable ServiceRegistry registry;

		private @Nullable HealthStatusManager health;

		private Supplier<? extends Collection<String>> servedServices = List::of;

		private @Nullable LeaderElection leaderElection;

		private Clock clock = Clock.systemUTC();

		private Builder() {
		}

		/** Where registrations are written; none disables registration. */
		public Builder serviceRegistry(@Nullable ServiceRegistry registry) {
			this.registry = registry;
			return this;
		}

		/**
		 * The server's gRPC health, turned {@code NOT_SERVING} at stop, and the names of the services it
		 * serves; none leaves gRPC health alone.
		 */
		public Builder health(@Nullable HealthStatusManager health, Supplier<? extends Collection<String>> servedServices) {
			this.health = health;
			this.servedServices = Objects.requireNonNull(servedServices, "servedServices");
			return this;
		}

		/** The election this node joins at start and resigns from at stop; none disables clustering. */
		public Builder leaderElection(@Nullable LeaderElection leaderElection) {
			this.leaderElection = leaderElection;
			return this;
		}

		/** The clock for registration times; default the system UTC clock. */
		public Builder clock(Clock clock) {
			this.clock = Objects.requireNonNull(clock, "clock");
			return this;
		}

		/** Builds the instance, {@link State#NEW}. */
		public LocalInstance build() {
			return new LocalInstance(this);
		}

	}

}
