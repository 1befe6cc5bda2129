package dev.grpcscale.discovery;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.circuitbreaker.CircuitBreakerLoadBalancerProvider;

/**
 * Resolves {@code discovery:///<service>} targets from a {@link ServiceDiscovery} cache, pushing every
 * change to the channel as the discovery watch reports it (no polling).
 *
 * <p>The provider itself holds no state: the {@link ServiceDiscovery} a channel resolves against is
 * given per channel with {@link #configure(ManagedChannelBuilder, ServiceDiscovery)}. So one provider
 * registered in gRPC's JVM-wide {@link NameResolverRegistry} serves any number of applications in one
 * JVM without leaking one's discovery into another's channels.
 *
 * <pre>{@code
 * DiscoveryNameResolverProvider.registerDefault();
 * ManagedChannel channel = DiscoveryNameResolverProvider.configure(
 *         ManagedChannelBuilder.forTarget("discovery:///product-service").usePlaintext(), discovery)
 *     .build();
 * }</pre>
 *
 * <p>Service config: every resolution carries a service config naming the {@code grpc_scale_round_robin}
 * load-balancing policy (its child {@code round_robin}) when
 * {@code dev.grpcscale.circuitbreaker.CircuitBreakerLoadBalancerProvider} is registered, and
 * {@code round_robin} otherwise, and nothing else. As with any resolver's, it replaces the channel's
 * default service config. A channel that has a service config of its own (retry policies,
 * {@code healthCheckConfig}, another policy) keeps it by ignoring the resolver's with
 * {@code ManagedChannelBuilder.disableServiceConfigLookUp()}, its policy wrapped by
 * {@code CircuitBreakerLoadBalancerProvider.wrapServiceConfig} to keep the breakers; grpc-scale's Spring
 * Boot auto-configuration does both for every {@code discovery:///} channel it guards. Each address group
 * carries the {@link #INSTANCE} attribute.
 * A target without a {@code ServiceDiscovery} argument, or whose path is not one valid service name,
 * resolves to an {@code UNAVAILABLE} error naming the reason rather than throwing.
 */
public final class DiscoveryNameResolverProvider extends NameResolverProvider {

	/** The URI scheme this provider resolves. */
	public static final String SCHEME = "discovery";

	/** The name-resolver argument carrying the channel's {@link ServiceDiscovery}. */
	public static final NameResolver.Args.Key<ServiceDiscovery> SERVICE_DISCOVERY = NameResolver.Args.Key
		.create("dev.grpcscale.serviceDiscovery");

	/**
	 * The attribute every address group resolved from a {@code discovery:///} target carries: the
	 * discovered instance behind it. Load balancers read it from their subchannels' addresses.
	 */
	@EquivalentAddressGroup.Attr
	public static final Attributes.Key<ServiceInstance> INSTANCE = Attributes.Key.create("dev.grpcscale.instance");

	/** The name-resolver argument set by {@link #useInstanceHostAsAuthority}. */
	static final NameResolver.Args.Key<Boolean> INSTANCE_HOST_AUTHORITY = NameResolver.Args.Key
		.create("dev.grpcscale.instanceHostAuthority");

	/**
	 * Below DNS (5): the registry makes the highest-priority provider's scheme the default for targets
	 * without one ({@code host:port}), and that must stay DNS.
	 */
	private static final int PRIORITY = 4;

	/**
	 * Registers a provider in gRPC's default registry unless one is registered already, and the
	 * {@code grpc_scale_round_robin} load-balancing policy its channels use (which fails calls fast when
	 * discovery has no instance, and balances with its child policy alone on a channel without breakers).
	 * Idempotent and safe to call from several threads and applications.
	 * @return the provider now serving the {@value #SCHEME} scheme
	 */
	public static synchronized NameResolverProvider registerDefault() {
		CircuitBreakerLoadBalancerProvider.registerDefault();
		NameResolverRegistry registry = NameResolverRegistry.getDefaultRegistry();
		NameResolverProvider existing = registry.getProviderForScheme(SCHEME);
		if (existing != null) {
			return existing;
		}
		DiscoveryNameResolverProvider provider = new DiscoveryNameResolverProvider();
		registry.register(provider);
		return provider;
	}

	/**
	 * Binds a channel builder to a discovery: its {@code discovery:///} target resolves against it.
	 * @param builder the channel builder
	 * @param discovery the discovery to resolve against
	 * @param <T> the builder type
	 * @return the builder
	 */
	public static <T extends ManagedChannelBuilder<?>> T configure(T builder, ServiceDiscovery discovery) {
		builder.setNameResolverArg(SERVICE_DISCOVERY, discovery);
		return builder;
	}

	/**
	 * Makes each instance's registered host the authority of the connections to it: the name its TLS
	 * certificate is checked against (certificates issued per host, for example {@code users-1.internal}),
	 * instead of the channel's authority (by default the service name).
	 * @param builder the channel builder
	 * @param <T> the builder type
	 * @return the builder
	 */
	public static <T extends ManagedChannelBuilder<?>> T useInstanceHostAsAuthority(T builder) {
		builder.setNameResolverArg(INSTANCE_HOST_AUTHORITY, Boolean.TRUE);
		return builder;
	}

	/**
	 * Returns the service name of a {@code discovery:///<service>} target, or {@code null} when the target
	 * is of another scheme.
	 * @param target a channel target
	 * @return the service name, or {@code null}
	 */
	public static @Nullable String serviceName(String target) {
		if (!target.startsWith(SCHEME + ":")) {
			return null;
		}
		try {
			return serviceName(new URI(target));
		}
		catch (java.net.URISyntaxException ex) {
			return null;
		}
	}

	static @Nullable String serviceName(URI uri) {
		String path = uri.getPath();
		if (path == null || path.length() < 2 || path.indexOf('/', 1) >= 0) {
			return null;
		}
		return path.substring(1);
	}

	@Override
	public @Nullable NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
		if (!SCHEME.equals(targetUri.getScheme())) {
			return null;
		}
		return new DiscoveryNameResolver(targetUri, serviceName(targetUri), args.getArg(SERVICE_DISCOVERY),
				Boolean.TRUE.equals(args.getArg(INSTANCE_HOST_AUTHORITY)), args);
	}

	@Override
	public String getDefaultScheme() {
		return SCHEME;
	}

	@Override
	protected boolean isAvailable() {
		return true;
	}

	@Override
	protected int priority() {
		return PRIORITY;
	}

	@Override
	public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
		return List.of(InetSocketAddress.class);
	}

}
