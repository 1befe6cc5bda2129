package dev.grpcscale.benchmarks;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;

import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/**
 * The bare baseline's resolver: {@code static:///<anything>} resolves once to the addresses a channel
 * was given with {@link #configure}, so a plain grpc-java channel can balance {@code round_robin} over the
 * same servers as a {@code discovery:///} channel, with nothing of grpc-scale in it.
 */
public final class StaticAddressNameResolverProvider extends NameResolverProvider {

	/** The scheme. */
	public static final String SCHEME = "static";

	private static final NameResolver.Args.Key<List<InetSocketAddress>> ADDRESSES = NameResolver.Args.Key
		.create("dev.grpcscale.benchmarks.staticAddresses");

	/** Registers a provider in gRPC's default registry unless one serves {@value #SCHEME} already. */
	public static synchronized void registerDefault() {
		NameResolverRegistry registry = NameResolverRegistry.getDefaultRegistry();
		if (registry.getProviderForScheme(SCHEME) == null) {
			registry.register(new StaticAddressNameResolverProvider());
		}
	}

	/**
	 * Gives a channel builder the addresses its {@code static:///} target resolves to.
	 * @param builder the builder
	 * @param addresses the addresses
	 * @param <T> the builder type
	 * @return the builder
	 */
	public static <T extends ManagedChannelBuilder<?>> T configure(T builder, List<InetSocketAddress> addresses) {
		builder.setNameResolverArg(ADDRESSES, List.copyOf(addresses));
		return builder;
	}

	@Override
	public @Nullable NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
		if (!SCHEME.equals(targetUri.getScheme())) {
			return null;
		}
		List<InetSocketAddress> addresses = args.getArg(ADDRESSES);
		String authority = (targetUri.getPath() != null && targetUri.getPath().length() > 1)
				? targetUri.getPath().substring(1) : "static";
		return new NameResolver() {

			@Override
			public String getServiceAuthority() {
				return authority;
			}

			@Override
			public void start(Listener2 listener) {
				if (addresses == null || addresses.isEmpty()) {
					listener.onError(Status.UNAVAILABLE.withDescription("no static addresses configured"));
					return;
				}
				listener.onResult(ResolutionResult.newBuilder()
					.setAddresses(addresses.stream().map(EquivalentAddressGroup::new).toList())
					.build());
			}

			@Override
			public void shutdown() {
			}

		};
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
		return 3;
	}

	@Override
	public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
		return List.of(InetSocketAddress.class);
	}

}
