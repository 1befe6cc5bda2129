package dev.grpcscale.discovery;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.Subscription;

/**
 * Feeds one channel with the instances of one service, from a discovery watch. Every callback of the
 * channel runs in its {@link SynchronizationContext}.
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

	private final URI target;

	private final @Nullable String serviceName;

	private final @Nullable ServiceDiscovery discovery;

	private final SynchronizationContext syncContext;

	private final ConfigOrError serviceConfig;

	private final boolean instanceHostAuthority;

	private @Nullable Listener2 listener;

	private @Nullable Subscription subscription;

	private List<ServiceInstance> latest = List.of();

	DiscoveryNameResolver(URI target, @Nullable String serviceName, @Nullable ServiceDiscovery discovery,
			boolean instanceHostAuthority, Args args) {
		this.target = target;
		this.instanceHostAuthority = instanceHostAuthority;
		this.serviceName = serviceName;
		this.discovery = discovery;
		this.syncContext = args.getSynchronizationContext();
		this.serviceConfig = args.getServiceConfigParser().parseServiceConfig(ROUND_ROBIN);
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
			this.subscription = this.discovery.watch(this.serviceName,
					(instances) -> this.syncContext.execute(() -> update(instances)));
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
			this.syncContext.execute(() -> update(this.latest));
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

	private void update(List<ServiceInstance> instances) {
		Listener2 current = this.listener;
		if (current == null || this.subscription == null) {
			return;
		}
		this.latest = instances;
		List<EquivalentAddressGroup> groups = new ArrayList<>(instances.size());
		for (ServiceInstance instance : instances) {
			InetSocketAddress address = new InetSocketAddress(instance.host(), instance.port());
			if (address.isUnresolved()) {
				continue;
			}
			Attributes.Builder attributes = Attributes.newBuilder().set(INSTANCE, instance);
			if (this.instanceHostAuthority) {
				attributes.set(EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE, instance.host());
			}
			groups.add(new EquivalentAddressGroup(address, attributes.build()));
		}
		// an empty list too: grpc_scale_round_robin then fails new calls fast, naming the service; a policy
		// that cannot take an empty list gets it as a resolution error from the channel
		current.onResult(ResolutionResult.newBuilder()
			.setAddresses(groups)
			.setServiceConfig(this.serviceConfig)
			.build());
	}

}
