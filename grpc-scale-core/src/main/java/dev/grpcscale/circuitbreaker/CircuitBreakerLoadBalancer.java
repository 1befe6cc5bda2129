package dev.grpcscale.circuitbreaker;

import java.util.List;
import java.util.Map;

import io.grpc.ChannelLogger.ChannelLogLevel;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.util.ForwardingLoadBalancerHelper;
import io.grpc.util.GracefulSwitchLoadBalancer;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * A child policy over the instances whose breaker is closed. Every method but the picker's runs in the
 * channel's {@link SynchronizationContext}.
 *
 * <p>The child ({@code round_robin}, {@code pick_first}, ... as the {@link Config} names it) runs behind a
 * {@link GracefulSwitchLoadBalancer}. Each subchannel of a discovered instance it creates is wrapped. While
 * the instance's breaker is not closed the wrapper tells the child (and the health checking above it,
 * which passes the state on) that the subchannel is in {@code TRANSIENT_FAILURE}, so it leaves the
 * rotation while its connection stays up; when the breaker
 * closes, the wrapper replays the real state and the instance rejoins. After the recovery timeout the
 * instance becomes a probe: the picker sends it the one trial call its half-open breaker permits, ahead of
 * the rotation. Every stream on an instance is counted in its breaker by a stream tracer, except those
 * of health checks and of methods the interceptor excludes.
 *
 * <p>This class takes the resolved addresses and the child's states; {@link InstanceTrackers} wraps the
 * subchannels ({@link BreakerSubchannel}) and follows each instance's breaker ({@link InstanceTracker}), and
 * {@link BreakerPicker} picks, counting each stream with a {@link CountingTracerFactory}.
 */
final class CircuitBreakerLoadBalancer extends LoadBalancer {

	private final Helper helper;

	private final LoadBalancer child;

	/** The config when the resolved addresses carry none of this policy's. */
	private final @Nullable Config defaultConfig;

	/** The instances' subchannels and breakers. */
	private final InstanceTrackers trackers;

	private final Subscription subscription;

	private @Nullable String serviceName;

	private @Nullable ConnectivityState childState;

	private SubchannelPicker childPicker = new FixedResultPicker(PickResult.withNoResult());

	/**
	 * Discovery has no instance: calls fail fast with UNAVAILABLE, whatever the child (still holding the
	 * previous instances' subchannels until the next list) says.
	 */
	private @Nullable Status noInstance;

	/**
	 * Creates the balancer.
	 * @param helper the channel's helper
	 * @param breakers the channel's breakers; without them the balancer is its child policy alone
	 * @param defaultConfig the config when the channel gives none ({@code round_robin} as the child), or
	 * {@code null} when {@code round_robin} is not registered
	 */
	CircuitBreakerLoadBalancer(Helper helper, @Nullable GrpcCircuitBreakers breakers, @Nullable Config defaultConfig) {
		this.helper = helper;
		SynchronizationContext syncContext = helper.getSynchronizationContext();
		this.trackers = new InstanceTrackers(syncContext, helper.getScheduledExecutorService(), breakers,
				this::publish);
		this.defaultConfig = defaultConfig;
		this.child = new GracefulSwitchLoadBalancer(new ChildHelper(helper));
		if (breakers == null) {
			helper.getChannelLogger()
				.log(ChannelLogLevel.WARNING, "grpc_scale_round_robin has no GrpcCircuitBreakers (set them with "
						+ "GrpcCircuitBreakers.configure(channelBuilder)): balancing with its child policy alone, "
						+ "without instance breakers");
			this.subscription = () -> {
			};
			return;
		}
		this.subscription = breakers.addListener((transition) -> {
			if (transition.kind() == CircuitBreakerKind.INSTANCE) {
				syncContext.execute(() -> this.trackers.reconcile(transition.name()));
			}
		});
	}

	/**
	 * Takes an empty list: discovery has no instance of the service, so new calls fail fast with
	 * {@code UNAVAILABLE} rather than going to instances discovery has dropped (which {@code round_robin}
	 * would keep using while {@code READY}).
	 */
	@Override
	public boolean canHandleEmptyAddressListFromNameResolution() {
		return true;
	}

	@Override
	public Status acceptResolvedAddresses(ResolvedAddresses resolvedAddresses) {
		try {
			if (resolvedAddresses.getAddresses().isEmpty()) {
				String service = (this.serviceName != null) ? this.serviceName : this.helper.getAuthority();
				this.noInstance = Status.UNAVAILABLE
					.withDescription("No instance of '" + service + "' is available in discovery");
				this.helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE,
						new FixedResultPicker(PickResult.withError(this.noInstance)));
				return Status.OK;
			}
			boolean instancesBack = this.noInstance != null;
			this.noInstance = null;
			for (EquivalentAddressGroup group : resolvedAddresses.getAddresses()) {
				ServiceInstance instance = group.getAttributes().get(DiscoveryNameResolverProvider.INSTANCE);
				if (instance != null) {
					this.serviceName = instance.serviceName();
				}
			}
			Config config = (resolvedAddresses.getLoadBalancingPolicyConfig() instanceof Config given) ? given
					: this.defaultConfig;
			if (config == null) {
				Status error = Status.INTERNAL
					.withDescription("grpc_scale_round_robin has no child policy: round_robin is not registered");
				this.helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE,
						new FixedResultPicker(PickResult.withError(error)));
				return error;
			}
			Status accepted = this.child.acceptResolvedAddresses(
					resolvedAddresses.toBuilder().setLoadBalancingPolicyConfig(config.childConfig).build());
			if (instancesBack) {
				// the child may not report again if its state did not change: replace the failing picker
				publish();
			}
			return accepted;
		}
		catch (RuntimeException ex) {
			this.helper.getChannelLogger().log(ChannelLogLevel.ERROR, "grpc_scale_round_robin failed: {0}", ex);
			return Status.INTERNAL.withDescription("grpc_scale_round_robin could not accept addresses").withCause(ex);
		}
	}

	@Override
	public void handleNameResolutionError(Status error) {
		try {
			this.child.handleNameResolutionError(error);
		}
		catch (RuntimeException ex) {
			this.helper.getChannelLogger().log(ChannelLogLevel.ERROR, "grpc_scale_round_robin failed: {0}", ex);
		}
	}

	@Override
	public void requestConnection() {
		try {
			this.child.requestConnection();
		}
		catch (RuntimeException ex) {
			this.helper.getChannelLogger().log(ChannelLogLevel.ERROR, "grpc_scale_round_robin failed: {0}", ex);
		}
	}

	@Override
	public void shutdown() {
		this.trackers.shutdown();
		this.subscription.cancel();
		try {
			this.child.shutdown();
		}
		catch (RuntimeException ex) {
			this.helper.getChannelLogger().log(ChannelLogLevel.ERROR, "grpc_scale_round_robin failed: {0}", ex);
		}
	}

	/** Hands the channel a picker over the child's latest one and the current probes. */
	private void publish() {
		ConnectivityState state = this.childState;
		if (state == null || this.trackers.isShutdown() || this.noInstance != null) {
			return;
		}
		this.helper.updateBalancingState(state, this.trackers.picker(this.childPicker, state, this.serviceName));
	}

	private final class ChildHelper extends ForwardingLoadBalancerHelper {

		private final Helper delegate;

		ChildHelper(Helper delegate) {
			this.delegate = delegate;
		}

		@Override
		protected Helper delegate() {
			return this.delegate;
		}

		@Override
		public Subchannel createSubchannel(CreateSubchannelArgs args) {
			return CircuitBreakerLoadBalancer.this.trackers.wrap(super.createSubchannel(args), args.getAddresses());
		}

		@Override
		public void updateBalancingState(ConnectivityState newState, SubchannelPicker newPicker) {
			CircuitBreakerLoadBalancer.this.childState = newState;
			CircuitBreakerLoadBalancer.this.childPicker = newPicker;
			publish();
		}

	}

	/**
	 * The parsed configuration: the child policy's config as {@link GracefulSwitchLoadBalancer} takes it,
	 * and the {@code childPolicy} list it was parsed from.
	 */
	static final class Config {

		final Object childConfig;

		final List<Map<String, ?>> childPolicy;

		Config(Object childConfig, List<Map<String, ?>> childPolicy) {
			this.childConfig = childConfig;
			this.childPolicy = List.copyOf(childPolicy);
		}

		@Override
		public String toString() {
			return "grpc_scale_round_robin{childPolicy=" + this.childPolicy + "}";
		}

	}

}
