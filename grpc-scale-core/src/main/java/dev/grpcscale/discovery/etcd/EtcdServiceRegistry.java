package dev.grpcscale.discovery.etcd;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import dev.failsafe.RetryPolicy;
import io.etcd.jetcd.Client;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.discovery.ServiceRegistry;
import dev.grpcscale.metrics.DiscoveryLatencies;
import dev.grpcscale.metrics.LatencyTally;

/**
 * Service registry and discovery on etcd v3. Each registered instance is one key,
 * {@code <namespace>/services/<service>/<instanceId>}, holding the instance as JSON:
 * <pre>{@code
 * {"serviceName":"orders","instanceId":"i-1","host":"10.0.0.7","port":9090,
 *  "metadata":{"zone":"a"},"status":"UP","registrationTime":"2025-01-01T00:00:00Z"}
 * }</pre>
 *
 * <pre>{@code
 * try (EtcdServiceRegistry registry = EtcdServiceRegistry.builder()
 *         .endpoints("http://etcd-0:2379", "http://etcd-1:2379", "http://etcd-2:2379")
 *         .leaseTtl(Duration.ofSeconds(15))
 *         .build()) {
 *     registry.register(ServiceDefinition.of("orders", "10.0.0.7", 9090).toInstance(Instant.now()));
 *     List<ServiceInstance> instances = registry.getInstances("orders");
 * }
 * }</pre>
 *
 * <p><b>Registration.</b> All instances of one registry share one lease of {@code leaseTtl}, kept alive by
 * one {@code LeaseKeepAlive} every third of the TTL, each timed from send to answer ({@link #leaseRenewals()}).
 * When the process dies, its keys vanish when the lease expires, so within {@code leaseTtl}. A failed
 * renewal (a member restarting, a connection reset, no answer) keeps the lease: it is renewed again after
 * a short pause. Only when the lease is really lost (etcd
 * says it is not found, for example revoked or expired, or etcd was unreachable for longer than the TTL
 * since the last renewal) is a new lease granted and every owned instance written again, retried with
 * exponential backoff (100 ms to 2 s, 20 % jitter) until etcd answers. {@link #deregister} and
 * {@link #close()} delete a key only while it still holds this registry's last write of it (a revision
 * compared in a transaction), so a successor that re-registered the same instance id keeps its
 * registration. A lease grant answered after its request timed out is revoked, not left behind. {@link #register} and
 * {@link #deregister} are synchronous: each attempt is bounded by half of {@code requestTimeout} and
 * retried on failure (a member or the leader failing over) for up to {@code requestTimeout}, so they take
 * at most 1.5 times {@code requestTimeout} before throwing
 * {@link dev.grpcscale.discovery.DiscoveryException}; an instance whose registration failed is not
 * retried later.
 *
 * <p><b>Discovery.</b> A client holds and watches only the services it reads. The first
 * {@link #getInstances}, {@link #getAllInstances} or {@link #watch} of a service loads its instances
 * ({@code <namespace>/services/<service>/}) into a local cache with a paginated range read (pages of
 * 1,000 keys, all at the revision of the first page, so the result is a consistent snapshot) and starts a
 * watch on that prefix at the read's revision + 1; reads are then served from the cache without a request.
 * A service with no watcher that was not read for {@code serviceIdleTimeout} (default 5 minutes) is dropped
 * and its watch closed; its next read loads it again. The first read of a service waits for its load, at
 * most {@code requestTimeout}, then returns what is known. {@link #getServiceNames()} lists the namespace
 * with a keys-only paginated read and holds nothing.
 *
 * <p>Watches require an etcd leader: when the member the client talks to is cut off from its peers, etcd
 * cancels the watch ("no leader") instead of leaving it silently stale. After any watch failure or
 * compaction the service is rebuilt from a fresh read and the watch restarts from that read's revision,
 * retried with backoff; in between, and while etcd is unreachable, the last known instances keep being
 * served and {@link #status()} reports {@code reachable=false}. Watch listeners are called only when the
 * list of UP instances changed, on a jetcd or registry thread, and must not block.
 *
 * <p><b>Validation on read.</b> A key under the prefix is skipped with a warning naming it (once per key
 * until it is fixed or deleted; at most 20 warnings per 10 s) when it does not follow the layout, its value is larger
 * than 64 KiB or larger than the client's inbound message limit, or the value is not a valid instance
 * document: JSON with the key's service name and instance id, a host name or IP literal (no scheme, path,
 * port or spaces) and a port in 1..65535. A skipped key never keeps the others from loading.
 *
 * <p><b>Limits.</b> The client accepts messages of up to 16 MiB from etcd
 * ({@link EtcdClients.Builder#maxInboundMessageSize(int)}); pages shrink on their own when one would not
 * fit. Credentials are never logged nor shown by {@link #status()} or {@link #toString()}. TLS is
 * configured with a CA file (and optionally a client certificate); endpoints then use {@code https://}.
 * Threads: jetcd's own (Vert.x event loop) and, unless a scheduler is given, a scheduler of two daemon
 * threads named {@code grpc-scale-etcd-registry-N}, shut down by {@link #close()}.
 */
public final class EtcdServiceRegistry implements ServiceRegistry, ServiceDiscovery, DiscoveryLatencies {

	/** Default key namespace. */
	public static final String DEFAULT_NAMESPACE = "/grpc-scale";

	/**
	 * Default lease TTL: 15 s. A crashed instance leaves discovery within 15 s; keep-alives go every 5 s,
	 * so an etcd leader election (a few seconds at most) or a short network blip does not drop live
	 * instances.
	 */
	public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(15);

	/** Default bound on each request the registry makes: 5 s. */
	public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);

	/**
	 * Default time a service without watchers stays loaded and watched after its last read: 5 minutes.
	 */
	public static final Duration DEFAULT_SERVICE_IDLE_TIMEOUT = Duration.ofMinutes(5);

	private final EtcdRegistryResources resources;

	private final String namespace;

	private final List<String> endpoints;

	private final EtcdConnectionState state = new EtcdConnectionState();

	private final EtcdLeasedRegistrations registrations;

	private final EtcdDiscoveryCache cache;

	private final EtcdRegistryStatus status;

	private final LatencyTally registrationTimes = new LatencyTally();

	private final AtomicBoolean closed = new AtomicBoolean();

	private EtcdServiceRegistry(Builder builder, Client client, boolean ownsClient) {
		this.resources = new EtcdRegistryResources(client, ownsClient, builder.scheduler);
		this.namespace = builder.namespace;
		this.endpoints = builder.connection.endpoints();
		RetryPolicy<Object> retryPolicy = EtcdRequests.untilAnswered();
		EtcdKeys keys = new EtcdKeys(this.namespace);
		ScheduledExecutorService scheduler = this.resources.scheduler();
		this.registrations = new EtcdLeasedRegistrations(client, keys, builder.leaseTtl, builder.requestTimeout,
				scheduler, retryPolicy, this.state);
		this.cache = new EtcdDiscoveryCache(client, keys, builder.requestTimeout, builder.serviceIdleTimeout,
				EtcdDiscoveryCache.DEFAULT_PAGE_SIZE, scheduler, retryPolicy, this.state);
		this.status = new EtcdRegistryStatus(client, this.namespace, this.endpoints, builder.requestTimeout,
				this.state, this.registrations, this.cache);
	}

	/** Starts a builder; see {@link Builder} for the settings and their defaults. */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * A registry on the given endpoints with the default settings.
	 * @param endpoints etcd client URLs, for example {@code http://127.0.0.1:2379}
	 * @return a new registry; close it when done
	 */
	public static EtcdServiceRegistry of(String... endpoints) {
		return builder().endpoints(endpoints).build();
	}

	/** The key namespace, for example {@code /grpc-scale}. */
	public String namespace() {
		return this.namespace;
	}

	/**
	 * Writes the instance under the registry's lease (granting it on first use), replacing a previous
	 * registration with the same service name and instance id.
	 * @throws dev.grpcscale.discovery.DiscoveryException if etcd did not accept it within
	 * {@code requestTimeout}
	 * @throws IllegalStateException if the registry is closed
	 */
	@Override
	public void register(ServiceInstance instance) {
		Objects.requireNonNull(instance, "instance");
		long start = System.nanoTime();
		this.registrations.register(instance);
		this.registrationTimes.record(System.nanoTime() - start);
	}

	/** {@code etcd}. */
	@Override
	public String latencyProvider() {
		return "etcd";
	}

	@Override
	public LatencyTally registrations() {
		return this.registrationTimes;
	}

	@Override
	public LatencyTally watchLag() {
		return this.cache.watchLag();
	}

	/** The round trip of each confirmed renewal of the registration lease, from send to etcd's answer. */
	@Override
	public LatencyTally leaseRenewals() {
		return this.registrations.renewals();
	}

	/**
	 * Deletes an instance this registry registered; an instance it did not register is left alone.
	 * @throws dev.grpcscale.discovery.DiscoveryException if etcd did not answer within
	 * {@code requestTimeout}; the instance then stays registered
	 * @throws IllegalStateException if the registry is closed
	 */
	@Override
	public boolean deregister(String serviceName, String instanceId) {
		Objects.requireNonNull(serviceName, "serviceName");
		Objects.requireNonNull(instanceId, "instanceId");
		return this.registrations.deregister(serviceName, instanceId);
	}

	@Override
	public List<ServiceInstance> getInstances(String serviceName) {
		Objects.requireNonNull(serviceName, "serviceName");
		return this.cache.getInstances(serviceName);
	}

	@Override
	public List<ServiceInstance> getAllInstances(String serviceName) {
		Objects.requireNonNull(serviceName, "serviceName");
		return this.cache.getAllInstances(serviceName);
	}

	/**
	 * The services with at least one key in the namespace, from a keys-only paginated read bounded by
	 * {@code requestTimeout} (the services this client holds when etcd does not answer). Loads no service:
	 * call it sparingly, it is a request to etcd each time.
	 */
	@Override
	public Set<String> getServiceNames() {
		return this.cache.getServiceNames();
	}

	/**
	 * The UP instance counts of the services this client holds (reads or watches) now; the others of the
	 * namespace are neither listed nor loaded.
	 */
	@Override
	public Map<String, Integer> instanceCounts() {
		return this.cache.instanceCounts();
	}

	/** The services this client holds (loaded and watched) now. For tests and diagnostics. */
	Set<String> heldServiceNames() {
		return this.cache.heldServiceNames();
	}

	/** The number of service watches open now. For tests and diagnostics. */
	int openWatchCount() {
		return this.cache.openWatchCount();
	}

	/**
	 * Follows a service. Never blocks: when the cache is not loaded yet, the listener gets its first list
	 * as soon as the first read succeeds.
	 * @throws IllegalStateException if the registry is closed
	 */
	@Override
	public Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
		Objects.requireNonNull(serviceName, "serviceName");
		Objects.requireNonNull(listener, "listener");
		if (this.closed.get()) {
			throw new IllegalStateException("EtcdServiceRegistry is closed");
		}
		return this.cache.watch(serviceName, listener);
	}

	/**
	 * The backend state. {@code reachable} is what the last request, keep-alive or watch answer showed; if
	 * nothing was sent yet, one read (bounded by {@code requestTimeout}) is made to find out. Details:
	 * {@code endpoints}, {@code namespace}, {@code services} and {@code instances} in the cache (the services
	 * this client reads, not the whole namespace),
	 * {@code registered} (instances owned), {@code leaseId} (hex, empty when none), {@code revision},
	 * {@code lastError} (when unreachable). Never credentials.
	 */
	@Override
	public DiscoveryStatus status() {
		return this.status.report(this.closed.get());
	}

	/** Leases granted so far; more than one means a lost lease was replaced. For tests and diagnostics. */
	int leaseGrants() {
		return this.registrations.leaseGrants();
	}

	/** Lease grants that answered after their request timed out, revoked then. For tests and diagnostics. */
	int lateGrantsRevoked() {
		return this.registrations.lateGrantsRevoked();
	}

	/**
	 * The last failure seen, kept after etcd answers again ({@link #status()} shows it only while
	 * unreachable); {@code null} if none. For tests and diagnostics.
	 */
	@Nullable String lastFailure() {
		return this.state.lastError();
	}

	/** Rebuilds of the discovery cache from a fresh read, the first load included. */
	int cacheResyncs() {
		return this.cache.resyncCount();
	}

	/**
	 * Stops the watches and their retries, deregisters the owned instances (deletes their keys, revokes the
	 * lease) within one {@code requestTimeout}, then closes the etcd client if the registry created it and the
	 * scheduler if it created it. When etcd does not answer in time (down, paused, stopping, or the client
	 * closed first) the requests are cancelled, one warning names the instances and the lease, and the keys
	 * expire with the lease instead. Never throws. Idempotent.
	 */
	@Override
	public void close() {
		if (!this.closed.compareAndSet(false, true)) {
			return;
		}
		try {
			// reads first: their watches and retries stop before the deregistration's requests go out
			this.cache.close();
			this.registrations.close();
		}
		finally {
			this.resources.close();
		}
	}

	@Override
	public String toString() {
		return "EtcdServiceRegistry[endpoints=" + this.endpoints + ", namespace=" + this.namespace + "]";
	}

	/**
	 * Builder for {@link EtcdServiceRegistry}. Setters fail fast with the setting, the value and what is
	 * expected; {@link #build()} checks the settings together.
	 *
	 * <p>Either give {@link #endpoints} (and optionally credentials and TLS), and the registry creates and
	 * closes its own jetcd {@link Client}, or give a {@link #client(Client)} that the caller configured
	 * and closes.
	 */
	public static final class Builder {

		private EtcdClients.Builder connection = EtcdClients.builder();

		private String namespace = DEFAULT_NAMESPACE;

		private Duration leaseTtl = DEFAULT_LEASE_TTL;

		private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;

		private Duration serviceIdleTimeout = DEFAULT_SERVICE_IDLE_TIMEOUT;

		private @Nullable Client client;

		private @Nullable ScheduledExecutorService scheduler;

		private Builder() {
		}

		/**
		 * etcd client URLs, {@code http://host:port} or {@code https://host:port}; required unless a
		 * {@link #client(Client)} is given. Replaces endpoints set before.
		 * @throws IllegalArgumentException if a URL is not of that form
		 */
		public Builder endpoints(String... endpoints) {
			return endpoints(List.of(endpoints));
		}

		/**
		 * etcd client URLs; see {@link #endpoints(String...)}.
		 * @throws IllegalArgumentException if a URL is not of that form
		 */
		public Builder endpoints(List<String> endpoints) {
			this.connection.endpoints(endpoints);
			return this;
		}

		/**
		 * Key namespace: keys are {@code <namespace>/services/<service>/<instanceId>}. Default
		 * {@value EtcdServiceRegistry#DEFAULT_NAMESPACE}.
		 * @throws IllegalArgumentException unless one or more {@code /segment}s of letters, digits,
		 * {@code .}, {@code _} or {@code -}
		 */
		public Builder namespace(String namespace) {
			this.namespace = EtcdKeys.checkNamespace(namespace);
			return this;
		}

		/**
		 * TTL of the lease the registrations are bound to, in whole seconds (etcd's unit). Default 15 s;
		 * see {@link EtcdServiceRegistry#DEFAULT_LEASE_TTL}. etcd may raise a TTL below its minimum
		 * (about 1.5 election timeouts).
		 * @throws IllegalArgumentException if below 1 s or not whole seconds
		 */
		public Builder leaseTtl(Duration leaseTtl) {
			Objects.requireNonNull(leaseTtl, "leaseTtl");
			if (leaseTtl.compareTo(Duration.ofSeconds(1)) < 0) {
				throw new IllegalArgumentException("leaseTtl: " + leaseTtl + " (expected: >= 1s)");
			}
			if (leaseTtl.toNanosPart() != 0) {
				throw new IllegalArgumentException("leaseTtl: " + leaseTtl + " (expected: whole seconds)");
			}
			this.leaseTtl = leaseTtl;
			return this;
		}

		/**
		 * Bound on the requests the registry sends: a cache read or a close; {@link #register} and
		 * {@link #deregister} retry attempts of half this long for up to this long. Also how long a read
		 * waits for the first load. Default 5 s. etcd itself answers a request lost with a failed leader
		 * only after its own request timeout (5 s + 2 election timeouts).
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder requestTimeout(Duration requestTimeout) {
			Objects.requireNonNull(requestTimeout, "requestTimeout");
			if (requestTimeout.isNegative() || requestTimeout.isZero()) {
				throw new IllegalArgumentException("requestTimeout: " + requestTimeout + " (expected: > 0)");
			}
			this.requestTimeout = requestTimeout;
			return this;
		}

		/**
		 * How long a service without watchers stays loaded and watched after its last read; then its watch is
		 * closed and its instances dropped, and its next read loads it again. Default 5 minutes.
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder serviceIdleTimeout(Duration serviceIdleTimeout) {
			Objects.requireNonNull(serviceIdleTimeout, "serviceIdleTimeout");
			if (serviceIdleTimeout.isNegative() || serviceIdleTimeout.isZero()) {
				throw new IllegalArgumentException("serviceIdleTimeout: " + serviceIdleTimeout + " (expected: > 0)");
			}
			this.serviceIdleTimeout = serviceIdleTimeout;
			return this;
		}

		/**
		 * Bound on one message received from etcd, in bytes; see
		 * {@link EtcdClients.Builder#maxInboundMessageSize(int)}. Default 16 MiB.
		 * @throws IllegalArgumentException if below 1 MiB
		 */
		public Builder maxInboundMessageSize(int bytes) {
			this.connection.maxInboundMessageSize(bytes);
			return this;
		}

		/**
		 * etcd user name, with {@link #password(String)}. Never logged.
		 * @throws IllegalArgumentException if blank
		 */
		public Builder username(String username) {
			this.connection.username(username);
			return this;
		}

		/**
		 * etcd password, with {@link #username(String)}. Never logged nor shown in messages.
		 * @throws IllegalArgumentException if empty
		 */
		public Builder password(String password) {
			this.connection.password(password);
			return this;
		}

		/**
		 * Whether to use TLS with the JVM's default trust store. Implied by {@link #caFile(Path)},
		 * {@link #clientCertificate(Path, Path)} and {@code https://} endpoints. Default false.
		 */
		public Builder tls(boolean tls) {
			this.connection.tls(tls);
			return this;
		}

		/**
		 * PEM file of the CA certificates that sign etcd's server certificate; enables TLS.
		 * @throws IllegalArgumentException if the file is not readable
		 */
		public Builder caFile(Path caFile) {
			this.connection.caFile(caFile);
			return this;
		}

		/**
		 * Client certificate chain and PKCS#8 private key (PEM) for etcd's {@code --client-cert-auth};
		 * enables TLS.
		 * @throws IllegalArgumentException if a file is not readable
		 */
		public Builder clientCertificate(Path certificateChain, Path privateKey) {
			this.connection.clientCertificate(certificateChain, privateKey);
			return this;
		}

		/**
		 * A jetcd client to use instead of creating one; the caller configures and closes it. Excludes
		 * endpoints, credentials and TLS settings.
		 */
		public Builder client(Client client) {
			this.client = Objects.requireNonNull(client, "client");
			return this;
		}

		/**
		 * The connection settings (endpoints, credentials, TLS) as one {@link EtcdClients.Builder}, for code
		 * that configures etcd clients in one place; replaces those set before. The registry builds its
		 * client from them and closes it.
		 */
		public Builder connection(EtcdClients.Builder connection) {
			this.connection = Objects.requireNonNull(connection, "connection");
			return this;
		}

		/**
		 * Scheduler for retries and re-registration; not shut down by the registry. Default: two daemon
		 * threads named {@code grpc-scale-etcd-registry-N}, shut down on close.
		 */
		public Builder scheduler(ScheduledExecutorService scheduler) {
			this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
			return this;
		}

		/**
		 * Creates the registry. No request is sent yet: the lease is granted on the first registration and
		 * the cache loaded on the first read or watch.
		 * @throws IllegalArgumentException if the settings do not fit together: no endpoints and no client,
		 * a client together with endpoints, credentials or TLS, only one of username and password,
		 * {@code http://} endpoints with TLS, or TLS files that are not valid PEM
		 */
		public EtcdServiceRegistry build() {
			if (this.client != null) {
				if (this.connection.isConfigured()) {
					throw new IllegalArgumentException(
							"client: given together with endpoints, credentials or TLS (or maxInboundMessageSize) (expected: configure the given client instead)");
				}
				return new EtcdServiceRegistry(this, this.client, false);
			}
			return new EtcdServiceRegistry(this, this.connection.build(), true);
		}

	}

}
