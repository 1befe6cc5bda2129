package dev.grpcscale.discovery.kubernetes;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.ServiceRegistry;
import dev.grpcscale.discovery.internal.VersionedListener;
import dev.grpcscale.internal.DaemonThreads;

/**
 * Service discovery from Kubernetes EndpointSlices: the instances of service {@code X} are the endpoints of
 * the EndpointSlices labelled {@code kubernetes.io/service-name=X} in the default namespace (or the Service
 * and namespace {@link Builder#service} maps {@code X} to), on the port named {@link Builder#portName}
 * (default {@code grpc}). Ready endpoints are {@code UP}; not ready and terminating ones (serving or not) are
 * {@code DOWN} and leave rotation at once. See {@link EndpointSliceInstances} for the port, id and metadata
 * rules.
 *
 * <p><b>Usage.</b> {@code KubernetesServiceDiscovery.builder(client).build()} on the application's fabric8
 * {@link KubernetesClient}, which it borrows and never closes. The client's identity needs
 * {@code get}, {@code list} and {@code watch} on {@code discovery.k8s.io} {@code endpointslices}.
 *
 * <p><b>Watches.</b> A service is followed from its first {@link #getInstances}, {@link #getAllInstances} or
 * {@link #watch}: one informer (a list, then a watch that fabric8 re-opens after any failure, re-listing when
 * needed). A first read waits for the first list at most {@link Builder#requestTimeout}. A service nobody
 * watches and nobody read for {@link Builder#serviceIdleTimeout} has its informer stopped (a sweep every half
 * of that period); its next read starts one again. Watchers are called on fabric8's informer thread, only
 * when the UP list changed, and must not block.
 *
 * <p><b>Registration</b> is Kubernetes' own: the pod's readiness puts it in, and takes it out of, its
 * Service's EndpointSlices. {@link #register} and {@link #deregister} change nothing; the first
 * registration is logged once, and {@link #status()} says so ({@code registration}). With grpc-scale's
 * {@code NOT_SERVING} at the start of shutdown and a readiness probe on it, the pod leaves the endpoints
 * before it drains.
 *
 * <p><b>Status:</b> unreachable while a followed service's informer has failed (listing or watching) and its
 * watch is not open again, or its watch has been down for {@link Builder#requestTimeout} (fabric8 re-opens a
 * dropped watch without reporting it; a watch is checked every second); a service being listed for the first
 * time is not unreachable.
 *
 * <p>Threads: fabric8's own, and one daemon {@code grpc-scale-k8s-discovery} thread for the idle sweep unless
 * a scheduler is given; {@link #close()} stops the informers and that thread.
 */
public final class KubernetesServiceDiscovery implements ServiceDiscovery, ServiceRegistry {

	/** Default name of the Service port that carries gRPC. */
	public static final String DEFAULT_PORT_NAME = "grpc";

	/** Default bound on the wait of a first read for the first list. */
	public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);

	/** Default time a service nobody watches stays followed after its last read. */
	public static final Duration DEFAULT_SERVICE_IDLE_TIMEOUT = Duration.ofMinutes(5);

	private static final Logger logger = LoggerFactory.getLogger(KubernetesServiceDiscovery.class);

	private static final String REGISTRATION = "kubernetes readiness (grpc-scale registers nothing)";

	private final KubernetesClient client;

	private final String namespace;

	private final String portName;

	private final Map<String, KubernetesService> mapped;

	private final Duration requestTimeout;

	private final Duration idleTimeout;

	private final Clock clock;

	private final LongSupplier nanoTime = System::nanoTime;

	private final ScheduledExecutorService scheduler;

	private final boolean ownScheduler;

	private final Map<String, EndpointSliceWatch> services = new ConcurrentHashMap<>();

	private final AtomicLong versions = new AtomicLong();

	private final AtomicBoolean registrationLogged = new AtomicBoolean();

	private final Set<String> unresolvable = ConcurrentHashMap.newKeySet();

	private final Object lifecycle = new Object();

	/** Guarded by {@link #lifecycle}. */
	private @Nullable ScheduledFuture<?> sweep;

	/** Guarded by {@link #lifecycle}. */
	private @Nullable ScheduledFuture<?> watchCheck;

	/** Guarded by {@link #lifecycle}. */
	private boolean closed;

	private KubernetesServiceDiscovery(Builder builder) {
		this.client = builder.client;
		this.namespace = (builder.namespace != null) ? builder.namespace : clientNamespace(builder.client);
		this.portName = builder.portName;
		this.mapped = Map.copyOf(builder.services);
		this.requestTimeout = builder.requestTimeout;
		this.idleTimeout = builder.serviceIdleTimeout;
		this.clock = builder.clock;
		this.ownScheduler = builder.scheduler == null;
		this.scheduler = (builder.scheduler != null) ? builder.scheduler
				: Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("grpc-scale-k8s-discovery"));
	}

	/**
	 * A builder on the application's client.
	 * @param client the fabric8 client, borrowed: never closed here
	 * @return the builder
	 */
	public static Builder builder(KubernetesClient client) {
		return new Builder(client);
	}

	/** A discovery on the client's namespace with every default. */
	public static KubernetesServiceDiscovery of(KubernetesClient client) {
		return builder(client).build();
	}

	/**
	 * The namespace a discovery on this client uses unless told otherwise: the client's (in a pod, the pod's
	 * own), else {@code default}.
	 */
	public static String clientNamespace(KubernetesClient client) {
		String namespace = client.getNamespace();
		return (namespace != null && !namespace.isBlank()) ? namespace : "default";
	}

	/** The namespace of services not mapped elsewhere. */
	public String namespace() {
		return this.namespace;
	}

	/** Where the instances of a grpc-scale service are looked up. */
	public KubernetesService target(String serviceName) {
		KubernetesService target = this.mapped.get(serviceName);
		return (target != null) ? target : new KubernetesService(serviceName, this.namespace);
	}

	@Override
	public List<ServiceInstance> getInstances(String serviceName) {
		EndpointSliceWatch service = read(serviceName);
		return (service != null) ? service.up() : List.of();
	}

	@Override
	public List<ServiceInstance> getAllInstances(String serviceName) {
		EndpointSliceWatch service = read(serviceName);
		return (service != null) ? service.all() : List.of();
	}

	private @Nullable EndpointSliceWatch read(String serviceName) {
		if (!resolvable(serviceName)) {
			return null;
		}
		EndpointSliceWatch service = acquire(serviceName);
		if (service == null) {
			return null;
		}
		service.touch();
		service.awaitFirstSync(this.requestTimeout);
		return service;
	}

	/** The followed services that have at least one instance. Never starts following a service. */
	@Override
	public Set<String> getServiceNames() {
		Set<String> names = new TreeSet<>();
		this.services.forEach((name, service) -> {
			if (!service.all().isEmpty()) {
				names.add(name);
			}
		});
		return Set.copyOf(names);
	}

	@Override
	public Map<String, Integer> instanceCounts() {
		Map<String, Integer> counts = new TreeMap<>();
		this.services.forEach((name, service) -> {
			if (!service.all().isEmpty()) {
				counts.put(name, service.up().size());
			}
		});
		return counts;
	}

	/** Names of the services followed (their informers running) now. */
	public Set<String> followedServiceNames() {
		return Set.copyOf(new TreeSet<>(this.services.keySet()));
	}

	@Override
	public Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
		VersionedListener watcher = new VersionedListener(logger, serviceName, listener, true);
		if (!resolvable(serviceName)) {
			watcher.deliver(1, List.of());
			return watcher::cancel;
		}
		while (true) {
			EndpointSliceWatch service = acquire(serviceName);
			if (service == null) {
				throw new IllegalStateException("KubernetesServiceDiscovery is closed");
			}
			if (service.addWatcher(watcher)) {
				return () -> {
					watcher.cancel();
					service.removeWatcher(watcher);
				};
			}
			// stopped as idle between acquire and addWatcher: take the new one
		}
	}

	/**
	 * Whether the service has a Kubernetes Service to look in: mapped, or a name that is a DNS label. Other
	 * names have no instances, with one warning each.
	 */
	private boolean resolvable(String serviceName) {
		if (this.mapped.containsKey(serviceName) || KubernetesService.isDnsLabel(serviceName)) {
			return true;
		}
		if (this.unresolvable.add(serviceName)) {
			logger.warn("'{}' cannot be the name of a Kubernetes Service (expected: a DNS label: lower-case letters, "
					+ "digits and '-'); it has no instances until it is mapped to a Service", serviceName);
		}
		return false;
	}

	private @Nullable EndpointSliceWatch acquire(String serviceName) {
		EndpointSliceWatch service = this.services.get(serviceName);
		if (service != null && !service.isClosed()) {
			return service;
		}
		KubernetesService target = target(serviceName);
		boolean[] created = new boolean[1];
		synchronized (this.lifecycle) {
			if (this.closed) {
				return null;
			}
			if (this.sweep == null) {
				long period = Math.max(this.idleTimeout.toNanos() / 2, TimeUnit.MILLISECONDS.toNanos(100));
				this.sweep = this.scheduler.scheduleWithFixedDelay(this::stopIdle, period, period, TimeUnit.NANOSECONDS);
				this.watchCheck = this.scheduler.scheduleWithFixedDelay(this::checkWatches, 1, 1, TimeUnit.SECONDS);
			}
			service = this.services.compute(serviceName, (name, old) -> {
				if (old != null && !old.isClosed()) {
					return old;
				}
				created[0] = true;
				return new EndpointSliceWatch(this.client, name, target, this.portName, this.clock, this.versions,
						this.nanoTime);
			});
		}
		if (created[0]) {
			service.start();
		}
		return service;
	}

	private void checkWatches() {
		long now = this.nanoTime.getAsLong();
		this.services.values().forEach((service) -> service.checkWatch(now));
	}

	private void stopIdle() {
		long now = this.nanoTime.getAsLong();
		for (EndpointSliceWatch service : this.services.values()) {
			if (service.closeIfIdle(now, this.idleTimeout.toNanos())) {
				this.services.remove(service.name(), service);
				logger.debug("Kubernetes discovery stopped following '{}': no watcher and not read for {}",
						service.name(), this.idleTimeout);
			}
		}
	}

	/**
	 * Changes nothing: the pod's readiness registers it in its Service's EndpointSlices. Logged once.
	 */
	@Override
	public void register(ServiceInstance instance) {
		Objects.requireNonNull(instance, "instance");
		if (this.registrationLogged.compareAndSet(false, true)) {
			logger.info("Service discovery provider kubernetes: '{}' is not registered by grpc-scale; Kubernetes "
					+ "lists this pod in the EndpointSlices of its Service while its readiness probe passes",
					instance.serviceName());
		}
	}

	/** Changes nothing: the pod leaves its Service's EndpointSlices when it turns unready or terminates. */
	@Override
	public boolean deregister(String serviceName, String instanceId) {
		return false;
	}

	@Override
	public DiscoveryStatus status() {
		Map<String, Object> details = new LinkedHashMap<>();
		details.put("namespace", this.namespace);
		details.put("portName", this.portName);
		details.put("registration", REGISTRATION);
		long now = this.nanoTime.getAsLong();
		Map<String, String> followed = new TreeMap<>();
		boolean reachable = true;
		String lastError = null;
		int instances = 0;
		for (EndpointSliceWatch service : this.services.values()) {
			followed.put(service.name(), service.target().toString());
			instances += service.all().size();
			if (!service.isReachable(now, this.requestTimeout.toNanos())) {
				reachable = false;
				lastError = service.failure(now);
			}
		}
		details.put("services", followed);
		details.put("instances", instances);
		if (lastError != null) {
			details.put("lastError", lastError);
		}
		return new DiscoveryStatus("kubernetes", reachable, details);
	}

	/** Stops every informer and the sweep; the client is left open. Idempotent. */
	@Override
	public void close() {
		List<@Nullable ScheduledFuture<?>> pending;
		synchronized (this.lifecycle) {
			if (this.closed) {
				return;
			}
			this.closed = true;
			pending = java.util.Arrays.asList(this.sweep, this.watchCheck);
			this.sweep = null;
			this.watchCheck = null;
		}
		for (ScheduledFuture<?> task : pending) {
			if (task != null) {
				task.cancel(false);
			}
		}
		this.services.values().forEach(EndpointSliceWatch::close);
		this.services.clear();
		if (this.ownScheduler) {
			this.scheduler.shutdownNow();
		}
	}

	@Override
	public String toString() {
		return "KubernetesServiceDiscovery[namespace=" + this.namespace + ", portName=" + this.portName + "]";
	}

	/** Builds a {@link KubernetesServiceDiscovery}; setters fail fast on invalid values. */
	public static final class Builder {

		private final KubernetesClient client;

		private @Nullable String namespace;

		private String portName = DEFAULT_PORT_NAME;

		private final Map<String, KubernetesService> services = new LinkedHashMap<>();

		private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;

		private Duration serviceIdleTimeout = DEFAULT_SERVICE_IDLE_TIMEOUT;

		private Clock clock = Clock.systemUTC();

		private @Nullable ScheduledExecutorService scheduler;

		private Builder(KubernetesClient client) {
			this.client = Objects.requireNonNull(client, "client");
		}

		/**
		 * Namespace of the services not mapped by {@link #service}. Default: the client's namespace (in a
		 * pod, the pod's own), else {@code default}.
		 * @throws IllegalArgumentException if not a DNS label
		 */
		public Builder namespace(String namespace) {
			KubernetesService.check("namespace", namespace);
			this.namespace = namespace;
			return this;
		}

		/**
		 * Name of the EndpointSlice port that carries gRPC. Default {@code grpc}. A slice without a port of
		 * that name but with a single port uses that port.
		 * @throws IllegalArgumentException if blank
		 */
		public Builder portName(String portName) {
			Objects.requireNonNull(portName, "portName");
			if (portName.isBlank()) {
				throw new IllegalArgumentException("portName: '' (expected: a port name such as grpc)");
			}
			this.portName = portName;
			return this;
		}

		/**
		 * Looks the instances of grpc-scale service {@code serviceName} up in the Kubernetes Service
		 * {@code target} instead of the Service of the same name in the default namespace.
		 * @throws IllegalArgumentException if {@code serviceName} is not a valid service name
		 */
		public Builder service(String serviceName, KubernetesService target) {
			ServiceInstance.checkName("serviceName", serviceName);
			this.services.put(serviceName, Objects.requireNonNull(target, "target"));
			return this;
		}

		/**
		 * How long a first read of a service waits for its first list. Default 5 s.
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder requestTimeout(Duration requestTimeout) {
			this.requestTimeout = positive("requestTimeout", requestTimeout);
			return this;
		}

		/**
		 * How long a service nobody watches stays followed after its last read. Default 5 min.
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder serviceIdleTimeout(Duration serviceIdleTimeout) {
			this.serviceIdleTimeout = positive("serviceIdleTimeout", serviceIdleTimeout);
			return this;
		}

		/** Clock of the instances' registration times (when first seen). Default: the UTC system clock. */
		public Builder clock(Clock clock) {
			this.clock = Objects.requireNonNull(clock, "clock");
			return this;
		}

		/** Scheduler of the idle sweep, not shut down by {@link #close()}. Default: a thread of its own. */
		public Builder scheduler(ScheduledExecutorService scheduler) {
			this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
			return this;
		}

		/** Builds the discovery; nothing is read until a service is. */
		public KubernetesServiceDiscovery build() {
			return new KubernetesServiceDiscovery(this);
		}

		private static Duration positive(String what, Duration value) {
			Objects.requireNonNull(value, what);
			if (value.isZero() || value.isNegative()) {
				throw new IllegalArgumentException(what + ": " + value + " (expected: > 0)");
			}
			return value;
		}

	}

}
