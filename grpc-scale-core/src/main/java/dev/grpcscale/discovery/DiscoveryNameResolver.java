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
import java.util.concurrent.atomic.AtomicReference;

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
 * <p>Hosts that are IP literals become addresses at once: such a list goes from the thread that delivered the
 * watch event straight into the channel's synchronization context, which runs it on that thread when it is
 * free (no hand-off to another thread), and only the hosts of new or changed instances are checked. A list
 * with host names is resolved (blocking DNS) on the channel's offload executor, never on the thread that
 * delivered the watch event, and handed to the channel only if no newer list was handed over meanwhile. An
 * instance whose host does not resolve is left out with a warning, once per host until it resolves again.
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

	/**
	 * The newest list the watch delivered, with its number. Every list handed over, a refresh's too, is
	 * numbered here together with its content, so a list resolved late never replaces a newer one, and a
	 * refresh re-publishes the newest list the watch delivered, never one a pending list has superseded.
	 */
	private final AtomicReference<Numbered> newest = new AtomicReference<>(new Numbered(0, List.of()));

	/** The newest list waiting for the synchronization context; lists it replaces are never handed over. */
	private final AtomicReference<@Nullable Pending> pending = new AtomicReference<>();

	/** Number of the list handed to the channel last; read and written in the synchronization context. */
	private long applied;

	/** Hosts warned about as unresolvable, until they resolve again or leave; in the synchronization context. */
	private final Set<String> unresolvedHosts = new HashSet<>();

	/** The group handed over last for each instance, by instance id; in the synchronization context. */
	private final Map<String, Group> groups = new HashMap<>();

	/**
	 * The groups of {@link #latest}, by position ({@code null} for an instance left out). When every host of
	 * {@link #latest} was an IP literal, an instance at the same position of the next list, the same object,
	 * keeps its group without a look-up by id nor a read of the group: a list that adds one instance to
	 * 1,000 reads two arrays and touches one instance.
	 */
	private Group[] latestGroups = new Group[0];

	/** Whether every host of {@link #latest} is an IP literal; in the synchronization context. */
	private boolean latestLiteral = true;

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
		// re-publishes the newest list so the channel retries it.
		if (this.listener != null && this.subscription != null) {
			queue(this.newest.updateAndGet((list) -> new Numbered(list.number() + 1, list.instances())));
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

	/** A list from the watch, on any thread. */
	private void received(List<ServiceInstance> instances) {
		queue(this.newest.updateAndGet((list) -> new Numbered(list.number() + 1, instances)));
	}

	/**
	 * A list from the watch or a refresh: handed over to the synchronization context as it is, where update()
	 * sends it to the offload executor for lookups if a host needs one. Without an offload executor the hosts
	 * are checked here and names resolved on this thread.
	 */
	private void queue(Numbered list) {
		long number = list.number();
		List<ServiceInstance> instances = list.instances();
		if (this.offloadExecutor == null && !allIpLiterals(instances)) {
			handOver(new Pending(number, instances, resolve(instances)));
			return;
		}
		handOver(new Pending(number, instances, null));
	}

	/** Resolves a list's hosts on the offload executor, then hands the list over again with its addresses. */
	private void offload(Executor executor, long number, List<ServiceInstance> instances) {
		try {
			executor.execute(() -> handOver(new Pending(number, instances, resolve(instances))));
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

	private static boolean allIpLiterals(List<ServiceInstance> instances) {
		for (int i = 0; i < instances.size(); i++) {
			if (!isIpLiteral(instances.get(i).host())) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Whether a host is an IP address, which needs no lookup: a dotted quad of numbers up to 255, or anything
	 * with a colon (IPv6). Checked for every instance of every list, so a scan of its characters, not a
	 * regular expression (which cost ~100 ns a host, a tenth of a millisecond a list at 1,000 instances).
	 */
	static boolean isIpLiteral(String host) {
		if (host.indexOf(':') >= 0) {
			return true;
		}
		int dots = 0;
		int digits = 0;
		int octet = 0;
		for (int i = 0; i < host.length(); i++) {
			char c = host.charAt(i);
			if (c >= '0' && c <= '9') {
				octet = octet * 10 + (c - '0');
				if (++digits > 3 || octet > 255) {
					return false;
				}
			}
			else if (c == '.' && digits > 0 && dots < 3) {
				dots++;
				digits = 0;
				octet = 0;
			}
			else {
				return false;
			}
		}
		return dots == 3 && digits > 0;
	}

	/**
	 * Hands a list to the channel. {@code resolved} holds every instance's address when the list has host
	 * names (resolved off this context); otherwise it is {@code null} and addresses are made here, only for
	 * instances without a group, which are the only ones whose host is checked: a list found to hold a host
	 * name (a new instance's, or an unchanged one's, as names are looked up again with every list) goes to the
	 * offload executor instead, and comes back with its addresses. The groups made before that are of IP
	 * literals, right whatever comes next.
	 */
	private void update(long number, List<ServiceInstance> instances, @Nullable List<Resolved> resolved) {
		Listener2 current = this.listener;
		if (current == null || this.subscription == null || number <= this.applied) {
			return;
		}
		Executor executor = this.offloadExecutor;
		List<ServiceInstance> previous = this.latest;
		Group[] previousGroups = (resolved == null && this.latestLiteral) ? this.latestGroups : new Group[0];
		Group[] currentGroups = new Group[instances.size()];
		List<EquivalentAddressGroup> addresses = new ArrayList<>(instances.size());
		boolean allLiteral = true;
		int kept = 0;
		for (int i = 0; i < instances.size(); i++) {
			ServiceInstance instance = instances.get(i);
			if (i < previousGroups.length && previousGroups[i] != null && previous.get(i) == instance) {
				// the same instance at the same place, an IP literal: its group stands as it is
				currentGroups[i] = previousGroups[i];
				addresses.add(previousGroups[i].addresses);
				kept++;
				continue;
			}
			Group group = this.groups.get(instance.instanceId());
			boolean unchanged = group != null && (group.instance == instance || group.instance.equals(instance));
			boolean literal = unchanged ? group.literal : isIpLiteral(instance.host());
			InetSocketAddress address;
			if (resolved == null) {
				if (!literal && executor != null) {
					offload(executor, number, instances);
					return;
				}
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
			if (!this.unresolvedHosts.isEmpty()) {
				this.unresolvedHosts.remove(instance.host());
			}
			if (!unchanged || group.address != address && !group.address.equals(address)) {
				group = new Group(instance, address, newGroup(instance, address), literal);
				this.groups.put(instance.instanceId(), group);
			}
			allLiteral &= group.literal;
			kept++;
			addresses.add(group.addresses);
			currentGroups[i] = group;
		}
		this.applied = number;
		this.latest = instances;
		this.latestGroups = currentGroups;
		this.latestLiteral = allLiteral;
		if (this.groups.size() > kept) {
			// instances that left, or whose host stopped resolving
			for (Group group : currentGroups) {
				if (group != null) {
					group.list = number;
				}
			}
			this.groups.values().removeIf((group) -> group.list != number);
		}
		if (!this.unresolvedHosts.isEmpty()) {
			// forget the hosts that left, so they are warned about again if they come back unresolvable
			Set<String> hosts = new HashSet<>();
			instances.forEach((instance) -> hosts.add(instance.host()));
			this.unresolvedHosts.retainAll(hosts);
		}
		// an empty list too: grpc_scale_round_robin then fails new calls fast, naming the service; a policy
		// that cannot take an empty list gets it as a resolution error from the channel. onResult2, as this
		// runs in the synchronization context: the balancer gets the list now, where onResult would queue it
		// behind whatever else the context holds.
		current.onResult2(ResolutionResult.newBuilder()
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

		/** Whether the host is an IP literal, so a list that keeps this group unchanged needs no lookup. */
		final boolean literal;

		long list;

		Group(ServiceInstance instance, InetSocketAddress address, EquivalentAddressGroup addresses,
				boolean literal) {
			this.instance = instance;
			this.address = address;
			this.addresses = addresses;
			this.literal = literal;
		}

	}

	/** A list waiting for the synchronization context, with its addresses when its hosts needed lookups. */
	/** A list numbered in the order the resolver received it. */
	private record Numbered(long number, List<ServiceInstance> instances) {
	}

	private record Pending(long number, List<ServiceInstance> instances, @Nullable List<Resolved> resolved) {
	}

	/** An instance and its address, {@code null} when its host did not resolve. */
	private record Resolved(ServiceInstance instance, @Nullable InetSocketAddress address) {
	}

}
