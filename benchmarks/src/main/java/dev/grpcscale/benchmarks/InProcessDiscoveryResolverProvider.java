package dev.grpcscale.benchmarks;

import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import io.grpc.inprocess.InProcessSocketAddress;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * {@code scale-bench:///<authority>}: grpc-scale's own {@code discovery:///} resolver for the benchmark's
 * service, its addresses swapped for in-process ones named {@code scale-<n>-<instanceId>} (one pass over
 * the list, the only work production does not do) and its policy for the observed one. Used by
 * {@link ScaleMeasurement}.
 */
final class InProcessDiscoveryResolverProvider extends NameResolverProvider {

	@Override
	public @Nullable NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
		if (!ScaleMeasurement.SCHEME.equals(targetUri.getScheme())) {
			return null;
		}
		String authority = targetUri.getPath().substring(1);
		String prefix = args.getArg(ScaleMeasurement.ADDRESS_PREFIX);
		NameResolver.ConfigOrError config = args.getServiceConfigParser()
			.parseServiceConfig(Map.of("loadBalancingConfig", List.of(Map.of(args.getArg(ScaleMeasurement.POLICY), Map.of()))));
		NameResolver delegate = new DiscoveryNameResolverProvider()
			.newNameResolver(URI.create(DiscoveryNameResolverProvider.SCHEME + ":///" + ScaleMeasurement.SERVICE), args);
		Map<String, Wrapped> wrapped = new HashMap<>();
		AtomicLong lists = new AtomicLong();
		return new NameResolver() {

			@Override
			public String getServiceAuthority() {
				return authority;
			}

			@Override
			public void start(Listener2 listener) {
				delegate.start(new Listener2() {

					@Override
					public void onResult(ResolutionResult result) {
						listener.onResult(inProcess(result, prefix, config, wrapped, lists.incrementAndGet()));
					}

					@Override
					public Status onResult2(ResolutionResult result) {
						return listener.onResult2(inProcess(result, prefix, config, wrapped, lists.incrementAndGet()));
					}

					@Override
					public void onError(Status error) {
						listener.onError(error);
					}

				});
			}

			@Override
			public void refresh() {
				delegate.refresh();
			}

			@Override
			public void shutdown() {
				delegate.shutdown();
			}

		};
	}

	/**
	 * The in-process group made for each resolver group, by instance id, kept across lists so that a
	 * group the resolver handed over again (the same object) gets the same in-process group: the
	 * wrapper then allocates per changed instance, as the resolver does, and does not hide what the
	 * resolver saves. Entries of groups that left are dropped. Used in the channel's synchronization
	 * context only.
	 */
	private static final class Wrapped {

		final EquivalentAddressGroup source;

		final EquivalentAddressGroup inProcess;

		long seen;

		Wrapped(EquivalentAddressGroup source, EquivalentAddressGroup inProcess) {
			this.source = source;
			this.inProcess = inProcess;
		}

	}

	private static NameResolver.ResolutionResult inProcess(NameResolver.ResolutionResult result, String prefix,
			NameResolver.ConfigOrError config, Map<String, Wrapped> wrapped, long list) {
		List<EquivalentAddressGroup> source = result.getAddressesOrError().getValue();
		List<EquivalentAddressGroup> groups = new ArrayList<>(source.size());
		for (EquivalentAddressGroup group : source) {
			ServiceInstance instance = group.getAttributes().get(DiscoveryNameResolverProvider.INSTANCE);
			Wrapped entry = wrapped.get(instance.instanceId());
			if (entry == null || entry.source != group) {
				entry = new Wrapped(group, new EquivalentAddressGroup(
						new InProcessSocketAddress(prefix + instance.instanceId()), group.getAttributes()));
				wrapped.put(instance.instanceId(), entry);
			}
			entry.seen = list;
			groups.add(entry.inProcess);
		}
		if (wrapped.size() > groups.size()) {
			wrapped.values().removeIf((entry) -> entry.seen != list);
		}
		return result.toBuilder().setAddresses(groups).setServiceConfig(config).build();
	}

	@Override
	public String getDefaultScheme() {
		return ScaleMeasurement.SCHEME;
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
		return List.of(InProcessSocketAddress.class);
	}

}
