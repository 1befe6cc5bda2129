package dev.grpcscale.discovery;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;

/**
 * Feeds one channel with the instances of one service, from a discovery watch. Every callback of the
 * channel runs in its {@link SynchronizationContext}.
 *
 * <p>Hosts that are IP literals become addresses at once. A list with host names is resolved (blocking DNS)
 * on the channel's offload executor, never on the thread that delivered the watch event, and handed to
 * the channel only if no newer list was handed over meanwhile. An instance whose host does not resolve is
 * left out with a warning, once per host until it resolves again.
 *
 * <p>The address group handed to the channel for an instance is kept, by instance id, and handed over again
 * as the same object while the instance is unchanged (equal, at the same resolved address): an event that
 * changes one instance of 10,000 builds one group, not 10,000, and the balancer receives the groups it
 * already holds. The groups of instances that left are dropped with the list that no longer has them.
 * Lists that arrive while the channel's synchronization context is busy are coalesced: only the newest is
 * handed over when it frees up.
 */
final class DiscoveryNameResolver extends NameResolver {

	/** Attribute on each address group: the discovered instance behind it. */
	static final Attributes.Key<ServiceInstance> INSTANCE = DiscoveryNameResolverProvider.INSTANCE;

	/**
	 * grpc-scale's circuit-breaking round robin (CircuitBreakerLoadBalancerProvider, child round_robin) when
	 * it is registered, else plain round_robin: gRPC takes the first policy of the list that it knows. A
	 * channel with a service config of its own ignores this one (disableServiceConfigLookUp).
	 */
	private static final Map<String, ?> ROUND_ROBIN = Map.of("loadBalancingConfig",
			List.of(Map.of("grpc_scale_round_robin", Map.of()), Map.of("round_robin", Map.of())));

	private static final Logger logger = LoggerFactory.getLogger(DiscoveryNameResolver.class);

	private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

	private final URI target;

	private final @Nullable String serviceName;

	private final @Nullable ServiceDiscovery discovery;

	private final SynchronizationContext syncContext;

	private final ConfigOrError serviceConfig;

	private final boolean instanceHostAuthority;

	private @Nullable Listener2 listener;

	private @Nullable Subscription subscription;

	private List<ServiceInstance> latest = List.of();

	/** Executor for DNS lookups; {@code null} when the channel gave none (they then run on the caller). */
	private final @Nullable Executor offloadExecutor;

	/** Numbers each list received, so a list resolved late never replaces a newer one. */
	private final AtomicLong received = new AtomicLong();

	/** The newest list waiting for the synchronization context; lists it replaces are never handed over. */
	private final AtomicReference<@Nullable Pending> pending = new AtomicReference<>();

	/** Number of the list handed to the channel last; read and written in the synchronization context. */
	private long applied;

	/** Hosts warned about as unresolvable, until they resolve again or leave; in the synchronization context. */
	private final Set<String> unresolvedHosts = new HashSet<>();

	/** The group handed over last for each instance, by instance id; in the synchronization context. */
	private final Map<String, Group> groups = new HashMap<>();

	DiscoveryNameResolver(URI target, @Nullable String serviceName, @Nullable ServiceDiscovery discovery,
			boolean instanceHostAuthority, Args args) {
		this.target = target;
		this.instanceHostAuthority = instanceHostAuthority;
		this.serviceName = serviceName;
		this.discovery = discovery;
		this.syncContext = args.getSynchronizationContext();
		this.serviceConfig = args.getServiceConfigParser().parseServiceConfig(ROUND_ROBIN);
		this.offloadExecutor = args.getOffloadExecutor();
	}

	@Override
	public String getServiceAuthority() {
		return (this.serviceName != null) ? this.serviceName : "discovery";
	}

	@Override
	public void start(Listener2 listener) {
		this.listener = listener;
		if (this.serviceName == null) {
			// UNAVAILABLE, gRPC's code for a resolution failure: grpc-java would turn INVALID_ARGUMENT from a
			// resolver into INTERNAL "Inappropriate status code from control plane" (gRFC A54)
			listener.onError(Status.UNAVAILABLE.withDescription("Target '" + this.target
					+ "' names no service (expected: discovery:///<service>, one name of letters, digits, '.', '_' or '-')"));
			return;
		}
		if (this.discovery == null) {
			listener.onError(Status.UNAVAILABLE.withDescription("Channel for '" + this.target
					+ "' has no ServiceDiscovery: build it with DiscoveryNameResolverProvider.configure(builder, discovery)"
					+ " or through grpc-scale's GrpcChannelFactory customizer"));
			return;
		}
		try {
			this.subscription = this.discovery.watch(this.serviceName, this::received);
		}
		catch (RuntimeException ex) {
			// a resolver never throws from its gateway methods: the channel gets the reason instead
			listener.onError(Status.UNAVAILABLE
				.withDescription("Cannot watch '" + this.serviceName + "' in discovery: " + ex.getMessage())
				.withCause(ex));
		}
	}

	@Override
	public void refresh() {
		// The watch pushes every change; a refresh (asked after a connection failure or an error) only
		// re-publishes the latest list so the channel retries it.
		if (this.listener != null && this.subscription != null) {
			received(this.latest);
		}
	}

	@Override
	public void shutdown() {
		Subscription current = this.subscription;
		this.subscription = null;
		if (current != null) {
			current.cancel();
		}
	}

	/** A list from the watch (any thread) or a refresh: resolved, then handed over in the sync context. */
	private void received(List<ServiceInstance> instances) {
		long number = this.received.incrementAndGet();
		Executor executor = this.offloadExecutor;
		if (instances.stream().allMatch((instance) -> isIpLiteral(instance.host()))) {
			// no lookup: update() makes the addresses of the instances it has no group for
			handOver(new Pending(number, instances, null));
			return;
		}
		if (executor == null) {
			List<Resolved> resolved = resolve(instances);
			handOver(new Pending(number, instances, resolved));
			return;
		}
		try {
			executor.execute(() -> {
				List<Resolved> resolved = resolve(instances);
				handOver(new Pending(number, instances, resolved));
			});
		}
		catch (RejectedExecutionException ex) {
			// the channel is shutting down: nothing to feed
		}
	}

	/**
	 * Queues a list for the channel. A burst of lists that arrive while the synchronization context is busy
	 * (with the channel's own work, or the previous list) becomes one update with the newest of them: at most
	 * one update is pending at a time.
	 */
	private void handOver(Pending list) {
		Pending replaced = this.pending.getAndAccumulate(list,
				(current, offered) -> (current == null || offered.number() > current.number()) ? offered : current);
		if (replaced == null) {
			this.syncContext.execute(this::applyPending);
		}
	}

	private void applyPending() {
		Pending list = this.pending.getAndSet(null);
		if (list != null) {
			update(list.number(), list.instances(), list.resolved());
		}
	}

	/** Resolves every host; literals without a lookup, names with blocking DNS on the calling thread. */
	private static List<Resolved> resolve(List<ServiceInstance> instances) {
		List<Resolved> resolved = new ArrayList<>(instances.size());
		for (ServiceInstance instance : instances) {
			InetSocketAddress address = new InetSocketAddress(instance.host(), instance.port());
			resolved.add(new Resolved(instance, address.isUnresolved() ? null : address));
		}
		return resolved;
	}

	static boolean isIpLiteral(String host) {
		return IPV4.matcher(host).matches() || host.indexOf(':') >= 0;
	}

	/**
	 * Hands a list to the channel. {@code resolved} holds every instance's address when the list has host
	 * names (resolved off this context); for a list of IP literals it is {@code null} and addresses are made
	 * here, only for instances without a group.
	 */
	private void update(long number, List<ServiceInstance> instances, @Nullable List<Resolved> resolved) {
		Listener2 current = this.listener;
		if (current == null || this.subscription == null || number <= this.applied) {
			return;
		}
		this.applied = number;
		this.latest = instances;
		List<EquivalentAddressGroup> addresses = new ArrayList<>(instances.size());
		int kept = 0;
		for (int i = 0; i < instances.size(); i++) {
			ServiceInstance instance = instances.get(i);
			Group group = this.groups.get(instance.instanceId());
			boolean unchanged = group != null && (group.instance == instance || group.instance.equals(instance));
			InetSocketAddress address;
			if (resolved == null) {
				address = unchanged ? group.address : new InetSocketAddress(instance.host(), instance.port());
			}
			else {
				address = resolved.get(i).address();
			}
			if (address == null || address.isUnresolved()) {
				if (this.unresolvedHosts.add(instance.host())) {
					logger.warn("Leaving instance '{}' of '{}' out of the channel: its host '{}' does not resolve",
							instance.instanceId(), instance.serviceName(), instance.host());
				}
				continue;
			}
			this.unresolvedHosts.remove(instance.host());
			if (!unchanged || group.address != address && !group.address.equals(address)) {
				group = new Group(instance, address, newGroup(instance, address));
				this.groups.put(instance.instanceId(), group);
			}
			group.list = number;
			kept++;
			addresses.add(group.addresses);
		}
		if (this.groups.size() > kept) {
			// instances that left, or whose host stopped resolving
			this.groups.values().removeIf((group) -> group.list != number);
		}
		if (!this.unresolvedHosts.isEmpty()) {
			// forget the hosts that left, so they are warned about again if they come back unresolvable
			Set<String> hosts = new HashSet<>();
			instances.forEach((instance) -> hosts.add(instance.host()));
			this.unresolvedHosts.retainAll(hosts);
		}
		// an empty list too: grpc_scale_round_robin then fails new calls fast, naming the service; a policy
		// that cannot take an empty list gets it as a resolution error from the channel
		current.onResult(ResolutionResult.newBuilder()
			.setAddresses(addresses)
			.setServiceConfig(this.serviceConfig)
			.build());
	}

	private EquivalentAddressGroup newGroup(ServiceInstance instance, InetSocketAddress address) {
		Attributes.Builder attributes = Attributes.newBuilder().set(INSTANCE, instance);
		if (this.instanceHostAuthority) {
			attributes.set(EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE, instance.host());
		}
		return new EquivalentAddressGroup(address, attributes.build());
	}

	/** The group handed over for an instance, and the list that last had it. */
	private static final class Group {

		final ServiceInstance instance;

		final InetSocketAddress address;

		final EquivalentAddressGroup addresses;

		long list;

		Group(ServiceInstance instance, InetSocketAddress address, EquivalentAddressGroup addresses) {
			this.instance = instance;
			this.address = address;
			this.addresses = addresses;
		}

	}

	/** A list waiting for the synchronization context, with its addresses when its hosts needed lookups. */
	private record Pending(long number, List<ServiceInstance> instances, @Nullable List<Resolved> resolved) {
	}

	/** An instance and its address, {@code null} when its host did not resolve. */
	private record Resolved(ServiceInstance instance, @Nullable InetSocketAddress address) {
	}

}
