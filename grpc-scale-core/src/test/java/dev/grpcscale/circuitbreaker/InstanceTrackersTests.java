package dev.grpcscale.circuitbreaker;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.Attributes;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer.FixedResultPicker;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.SynchronizationContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;

/** The trackers of one balancer, without a channel: subchannels the child would create, wrapped directly. */
class InstanceTrackersTests {

	private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory
		.getThreadMXBean();

	private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

	private final SynchronizationContext syncContext = new SynchronizationContext((thread, ex) -> {
		throw new AssertionError(ex);
	});

	private final GrpcCircuitBreakers breakers = GrpcCircuitBreakers.ofDefaults();

	private final InstanceTrackers trackers = new InstanceTrackers(this.syncContext, this.timer, this.breakers, () -> {
	});

	@AfterEach
	void stop() {
		this.trackers.shutdown();
		this.timer.shutdownNow();
	}

	@Test
	void buildingAPickerAllocatesNothingPerInstance() {
		int instances = 2_000;
		for (int i = 0; i < instances; i++) {
			Subchannel wrapped = this.trackers.wrap(new IdleSubchannel(), List.of(groupOf(instance("i" + i))));
			assertThat(wrapped).isInstanceOf(BreakerSubchannel.class);
		}
		SubchannelPicker child = new FixedResultPicker(PickResult.withNoResult());
		this.trackers.picker(child, ConnectivityState.READY, "svc");
		// a few builds, before the JIT could take an iterator per instance away by escape analysis (a channel's
		// publishes are not always compiled so: the balancer's allocation profile at 10,000 instances showed it)
		int builds = 3;
		long before = THREADS.getCurrentThreadAllocatedBytes();
		for (int i = 0; i < builds; i++) {
			this.trackers.picker(child, ConnectivityState.READY, "svc");
		}
		long perBuild = (THREADS.getCurrentThreadAllocatedBytes() - before) / builds;
		// the picker, its (empty) probe list and an iterator; one object per instance would be >= 32 KB
		assertThat(perBuild).as("bytes allocated per picker over %d instances", instances).isLessThan(1_024);
	}

	@Test
	void wrappingANewInstanceBuildsItsBreakerWithoutAnExceptionPerStatusCode() {
		for (int i = 0; i < 50; i++) {
			this.trackers.wrap(new IdleSubchannel(), List.of(groupOf(instance("warm" + i))));
		}
		int instances = 200;
		long before = THREADS.getCurrentThreadAllocatedBytes();
		for (int i = 0; i < instances; i++) {
			this.trackers.wrap(new IdleSubchannel(), List.of(groupOf(instance("i" + i))));
		}
		long perInstance = (THREADS.getCurrentThreadAllocatedBytes() - before) / instances;
		assertThat(this.breakers.instanceBreaker("svc", "i0").getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		// 16 exceptions with their stack traces would be ~50 KB
		assertThat(perInstance).as("bytes allocated per new instance").isLessThan(16_384);
	}

	private static ServiceInstance instance(String id) {
		return new ServiceInstance("svc", id, "10.0.0.1", 9000, Map.of(), InstanceStatus.UP, Instant.EPOCH);
	}

	private static EquivalentAddressGroup groupOf(ServiceInstance instance) {
		return new EquivalentAddressGroup(InetSocketAddress.createUnresolved(instance.host(), instance.port()),
				Attributes.newBuilder().set(DiscoveryNameResolverProvider.INSTANCE, instance).build());
	}

	/** A subchannel the test never starts. */
	private static final class IdleSubchannel extends Subchannel {

		@Override
		public void shutdown() {
		}

		@Override
		public void requestConnection() {
		}

		@Override
		public Attributes getAttributes() {
			return Attributes.EMPTY;
		}

	}

}
