package dev.grpcscale.discovery;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.NameResolver.ResolutionResult;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link DiscoveryNameResolver} driven directly, its results captured as the channel would receive them. */
class DiscoveryNameResolverTests {

	private static final Instant REGISTERED = Instant.parse("2025-01-01T00:00:00Z");

	private final InMemoryServiceRegistry registry = InMemoryServiceRegistry.create();

	private final List<ResolutionResult> results = new CopyOnWriteArrayList<>();

	/** The channel's context: every call into the resolver runs in it, as a channel makes them. */
	private final SynchronizationContext syncContext = new SynchronizationContext((thread, ex) -> {
		throw new AssertionError(ex);
	});

	private final DiscoveryNameResolver resolver = new DiscoveryNameResolver(URI.create("discovery:///svc"), "svc",
			this.registry, false, args(this.syncContext));

	@AfterEach
	void close() {
		this.syncContext.execute(this.resolver::shutdown);
		this.registry.close();
	}

	@Test
	void unchangedInstancesKeepTheirAddressGroupObjectsAcrossEvents() {
		List<EquivalentAddressGroup> before = startWithTwoInstances();

		this.registry.register(instance("c", 9003, Map.of()));
		List<EquivalentAddressGroup> after = last();

		assertThat(after).hasSize(3);
		assertThat(group(after, "a")).isSameAs(group(before, "a"));
		assertThat(group(after, "b")).isSameAs(group(before, "b"));
		assertThat(group(after, "c").getAddresses()).hasToString("[/127.0.0.1:9003]");
	}

	@Test
	void aChangedInstanceGetsANewGroupCarryingTheNewInstance() {
		List<EquivalentAddressGroup> before = startWithTwoInstances();

		ServiceInstance zoned = instance("b", 9002, Map.of("zone", "z1"));
		this.registry.register(zoned);
		this.registry.register(instance("a", 9011, Map.of()));
		List<EquivalentAddressGroup> after = last();

		assertThat(group(after, "b")).isNotSameAs(group(before, "b"));
		assertThat(group(after, "b").getAttributes().get(DiscoveryNameResolver.INSTANCE)).isEqualTo(zoned);
		assertThat(group(after, "a")).isNotSameAs(group(before, "a"));
		assertThat(group(after, "a").getAddresses()).hasToString("[/127.0.0.1:9011]");
	}

	@Test
	void aDepartedInstanceIsForgottenSoItsReturnBuildsAFreshGroup() {
		ServiceInstance a = instance("a", 9001, Map.of());
		this.registry.register(a);
		this.registry.register(instance("b", 9002, Map.of()));
		start();
		EquivalentAddressGroup first = group(last(), "a");

		this.registry.deregister("svc", "a");
		assertThat(last()).extracting(DiscoveryNameResolverTests::id).containsExactly("b");
		this.registry.register(a);

		assertThat(group(last(), "a")).isNotSameAs(first).isEqualTo(first);
	}

	@Test
	void aRefreshHandsOverTheSameGroupsAgain() {
		this.registry.register(instance("a", 9001, Map.of()));
		start();
		List<EquivalentAddressGroup> before = last();
		this.syncContext.execute(this.resolver::refresh);
		assertThat(this.results).hasSize(2);
		assertThat(last().get(0)).isSameAs(before.get(0));
	}

	@Test
	void aRefreshWhileAWatchedListWaitsForTheChannelNeverReplacesItWithTheListBefore() {
		this.registry.register(instance("a", 9001, Map.of()));
		start();
		// the channel asks for a refresh (a subchannel reconnecting) inside its context, where a list the
		// watch delivered a moment before is still waiting for that context
		this.syncContext.execute(() -> {
			this.registry.register(instance("b", 9002, Map.of()));
			this.resolver.refresh();
		});

		assertThat(last()).extracting(DiscoveryNameResolverTests::id).containsExactly("a", "b");
	}

	@Test
	void listsArrivingWhileTheChannelIsBusyBecomeOneUpdateWithTheNewest() throws Exception {
		this.registry.register(instance("a", 9001, Map.of()));
		start();
		CountDownLatch busy = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		Thread channelWork = new Thread(() -> this.syncContext.execute(() -> {
			busy.countDown();
			try {
				release.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}), "test-channel-work");
		channelWork.start();
		busy.await();

		this.registry.register(instance("b", 9002, Map.of()));
		this.registry.register(instance("c", 9003, Map.of()));
		this.registry.register(instance("d", 9004, Map.of()));
		assertThat(this.results).hasSize(1);
		release.countDown();
		channelWork.join(5000);

		assertThat(this.results).hasSize(2);
		assertThat(last()).extracting(DiscoveryNameResolverTests::id).containsExactly("a", "b", "c", "d");
	}

	@Test
	void instancesThatShiftPlaceWhenAnotherLeavesKeepTheirGroups() {
		this.registry.register(instance("a", 9001, Map.of()));
		List<EquivalentAddressGroup> before = startWithTwoMore();

		this.registry.deregister("svc", "a");
		List<EquivalentAddressGroup> after = last();
		assertThat(after).extracting(DiscoveryNameResolverTests::id).containsExactly("b", "c");
		assertThat(group(after, "b")).isSameAs(group(before, "b"));
		assertThat(group(after, "c")).isSameAs(group(before, "c"));

		this.registry.register(instance("a", 9001, Map.of()));
		assertThat(last()).extracting(DiscoveryNameResolverTests::id).containsExactly("b", "c", "a");
		assertThat(group(last(), "b")).isSameAs(group(before, "b"));
		assertThat(group(last(), "a")).isNotSameAs(group(before, "a"));
	}

	@Test
	void theChannelGetsEachListThroughOnResult2InsideItsSynchronizationContext() {
		this.registry.register(instance("a", 9001, Map.of()));
		List<Boolean> inContext = new CopyOnWriteArrayList<>();
		this.syncContext.execute(() -> this.resolver.start(new NameResolver.Listener2() {

			@Override
			public Status onResult2(ResolutionResult result) {
				try {
					DiscoveryNameResolverTests.this.syncContext.throwIfNotInThisSynchronizationContext();
					inContext.add(true);
				}
				catch (IllegalStateException ex) {
					inContext.add(false);
				}
				DiscoveryNameResolverTests.this.results.add(result);
				return Status.OK;
			}

			@Override
			public void onResult(ResolutionResult result) {
				// before: the resolver called this, which a channel runs later, queued in its context
				throw new AssertionError("onResult called instead of onResult2");
			}

			@Override
			public void onError(Status error) {
				throw new AssertionError("unexpected resolution error " + error);
			}

		}));
		this.registry.register(instance("b", 9002, Map.of()));
		assertThat(inContext).containsExactly(true, true);
		assertThat(last()).extracting(DiscoveryNameResolverTests::id).containsExactly("a", "b");
	}

	@Test
	void aListWithAHostNameGoesToTheOffloadExecutorEvenWhenOnlyAnUnchangedInstanceHasIt() {
		List<Runnable> offloaded = new CopyOnWriteArrayList<>();
		DiscoveryNameResolver resolver = new DiscoveryNameResolver(URI.create("discovery:///svc"), "svc",
				this.registry, false, args(this.syncContext, offloaded::add));
		try {
			this.registry.register(instance("a", 9001, Map.of()));
			this.syncContext.execute(() -> resolver.start(recordingListener()));
			assertThat(offloaded).isEmpty();
			assertThat(this.results).hasSize(1);

			this.registry.register(new ServiceInstance("svc", "b", "localhost", 9002, Map.of(), InstanceStatus.UP,
					REGISTERED));
			assertThat(offloaded).hasSize(1);
			assertThat(this.results).hasSize(1);
			offloaded.get(0).run();
			assertThat(last()).extracting(DiscoveryNameResolverTests::id).containsExactly("a", "b");

			// names are looked up again with every list, so one with "b" unchanged goes there too
			this.registry.register(instance("c", 9003, Map.of()));
			assertThat(offloaded).hasSize(2);
			offloaded.get(1).run();
			assertThat(last()).extracting(DiscoveryNameResolverTests::id).containsExactly("a", "b", "c");
		}
		finally {
			this.syncContext.execute(resolver::shutdown);
		}
	}

	@Test
	void onlyDottedQuadsAndIpv6AddressesPassAsIpLiterals() {
		assertThat(List.of("127.0.0.1", "10.20.30.255", "0.0.0.0", "::1", "fe80::1%eth0", "2001:db8::7"))
			.allMatch(DiscoveryNameResolver::isIpLiteral);
		assertThat(List.of("localhost", "users-1.internal", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.",
				".1.2.3", "1.2.3.4a", "1234.1.1.1", "a.b.c.d", ""))
			.noneMatch(DiscoveryNameResolver::isIpLiteral);
	}

	/** Registers instances "b" (port 9002) and "c" (9003), starts the resolver, returns its first groups. */
	private List<EquivalentAddressGroup> startWithTwoMore() {
		this.registry.register(instance("b", 9002, Map.of()));
		this.registry.register(instance("c", 9003, Map.of()));
		start();
		return last();
	}

	/** Registers instances "a" (port 9001) and "b" (9002), starts the resolver, returns its first groups. */
	private List<EquivalentAddressGroup> startWithTwoInstances() {
		this.registry.register(instance("a", 9001, Map.of()));
		this.registry.register(instance("b", 9002, Map.of()));
		start();
		return last();
	}

	private void start() {
		this.syncContext.execute(() -> this.resolver.start(recordingListener()));
	}

	private NameResolver.Listener2 recordingListener() {
		return new NameResolver.Listener2() {

			@Override
			public void onResult(ResolutionResult result) {
				DiscoveryNameResolverTests.this.results.add(result);
			}

			@Override
			public void onError(Status error) {
				throw new AssertionError("unexpected resolution error " + error);
			}

		};
	}

	private List<EquivalentAddressGroup> last() {
		assertThat(this.results).isNotEmpty();
		return this.results.get(this.results.size() - 1).getAddressesOrError().getValue();
	}

	private static EquivalentAddressGroup group(List<EquivalentAddressGroup> groups, String id) {
		return groups.stream().filter((group) -> id.equals(id(group))).findFirst().orElseThrow();
	}

	private static String id(EquivalentAddressGroup group) {
		return group.getAttributes().get(DiscoveryNameResolver.INSTANCE).instanceId();
	}

	private static ServiceInstance instance(String id, int port, Map<String, String> metadata) {
		return new ServiceInstance("svc", id, "127.0.0.1", port, metadata, InstanceStatus.UP, REGISTERED);
	}

	private static NameResolver.Args args(SynchronizationContext syncContext) {
		return args(syncContext, null);
	}

	private static NameResolver.Args args(SynchronizationContext syncContext, @Nullable Executor offloadExecutor) {
		NameResolver.Args.Builder args = NameResolver.Args.newBuilder();
		if (offloadExecutor != null) {
			args.setOffloadExecutor(offloadExecutor);
		}
		return args
			.setDefaultPort(443)
			.setProxyDetector((address) -> null)
			.setSynchronizationContext(syncContext)
			.setServiceConfigParser(new NameResolver.ServiceConfigParser() {
				@Override
				public ConfigOrError parseServiceConfig(Map<String, ?> rawServiceConfig) {
					return ConfigOrError.fromConfig(rawServiceConfig);
				}
			})
			.build();
	}

}
