package dev.grpcscale.circuitbreaker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.ChannelLogger.ChannelLogLevel;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.SynchronizationContext.ScheduledHandle;
import io.grpc.util.ForwardingClientStreamTracer;
import io.grpc.util.ForwardingLoadBalancerHelper;
import io.grpc.util.ForwardingSubchannel;
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
 */
final class CircuitBreakerLoadBalancer extends LoadBalancer {

	/** The longest instance retention a sweep is scheduled for on the channel's timer. */
	private static final Duration MAX_SWEEP_DELAY = Duration.ofDays(1);

	private final Helper helper;

	private final SynchronizationContext syncContext;

	private final ScheduledExecutorService timer;

	private final @Nullable GrpcCircuitBreakers breakers;

	private final LoadBalancer child;

	/** The config when the resolved addresses carry none of this policy's. */
	private final @Nullable Config defaultConfig;

	/** Trackers by instance breaker name. */
	private final Map<String, InstanceTracker> trackers = new HashMap<>();

	private final Subscription subscription;

	private @Nullable String serviceName;

	private @Nullable ConnectivityState childState;

	private SubchannelPicker childPicker = new FixedResultPicker(PickResult.withNoResult());

	private boolean shutdown;

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
		this.syncContext = helper.getSynchronizationContext();
		this.timer = helper.getScheduledExecutorService();
		this.breakers = breakers;
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
				this.syncContext.execute(() -> reconcile(transition.name()));
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
		this.shutdown = true;
		this.subscription.cancel();
		for (InstanceTracker tracker : List.copyOf(this.trackers.values())) {
			tracker.cancelProbeTimer();
			tracker.release();
		}
		this.trackers.clear();
		try {
			this.child.shutdown();
		}
		catch (RuntimeException ex) {
			this.helper.getChannelLogger().log(ChannelLogLevel.ERROR, "grpc_scale_round_robin failed: {0}", ex);
		}
	}

	private void reconcile(String name) {
		InstanceTracker tracker = this.trackers.get(name);
		if (tracker != null && !this.shutdown) {
			tracker.reconcile();
			publish();
		}
	}

	/** Hands the channel a picker over the child's latest one and the current probes. */
	private void publish() {
		ConnectivityState state = this.childState;
		if (state == null || this.shutdown || this.noInstance != null) {
			return;
		}
		List<Probe> probes = new ArrayList<>();
		int wrapped = 0;
		boolean allOut = !this.trackers.isEmpty();
		for (InstanceTracker tracker : this.trackers.values()) {
			wrapped += tracker.subchannels.size();
			allOut &= tracker.ejected;
			BreakerSubchannel ready = tracker.readySubchannel();
			if (tracker.probing && ready != null) {
				probes.add(new Probe(tracker, ready));
			}
		}
		Status allOutStatus = null;
		if (allOut && state == ConnectivityState.TRANSIENT_FAILURE) {
			Map<String, CircuitBreaker.State> states = new TreeMap<>();
			this.trackers.values().forEach((tracker) -> states.put(tracker.name, tracker.entry.breaker.getState()));
			allOutStatus = Status.UNAVAILABLE.withDescription("Every instance of service '" + this.serviceName
					+ "' is out of load balancing because its circuit breaker is not closed: " + states);
		}
		this.helper.updateBalancingState(state,
				new BreakerPicker(this.childPicker, List.copyOf(probes), Math.max(1, wrapped), allOutStatus));
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
			Subchannel subchannel = super.createSubchannel(args);
			ServiceInstance instance = instanceOf(args.getAddresses());
			if (instance == null || CircuitBreakerLoadBalancer.this.shutdown) {
				return subchannel;
			}
			String name = GrpcCircuitBreakers.instanceBreakerName(instance.serviceName(), instance.instanceId());
			GrpcCircuitBreakers source = CircuitBreakerLoadBalancer.this.breakers;
			if (source == null) {
				return subchannel;
			}
			InstanceTracker tracker = CircuitBreakerLoadBalancer.this.trackers.computeIfAbsent(name,
					(key) -> new InstanceTracker(key, source, source.hold(key)));
			BreakerSubchannel wrapped = new BreakerSubchannel(subchannel, tracker);
			tracker.subchannels.add(wrapped);
			tracker.reconcile();
			return wrapped;
		}

		@Override
		public void updateBalancingState(ConnectivityState newState, SubchannelPicker newPicker) {
			CircuitBreakerLoadBalancer.this.childState = newState;
			CircuitBreakerLoadBalancer.this.childPicker = newPicker;
			publish();
		}

		private static @Nullable ServiceInstance instanceOf(List<EquivalentAddressGroup> groups) {
			ServiceInstance found = null;
			for (EquivalentAddressGroup group : groups) {
				ServiceInstance instance = group.getAttributes().get(DiscoveryNameResolverProvider.INSTANCE);
				if (instance == null || (found != null && !found.equals(instance))) {
					return null;
				}
				found = instance;
			}
			return found;
		}

	}

	/** The subchannels of one instance in this channel, and what its breaker lets them do. */
	private final class InstanceTracker {

		final String name;

		final BreakerEntry entry;

		/** Where {@link #entry} is held while this tracker lives. */
		private final GrpcCircuitBreakers breakers;

		private boolean released;

		final Set<BreakerSubchannel> subchannels = new LinkedHashSet<>();

		/** Out of the rotation: the breaker is not closed. */
		boolean ejected;

		/** May receive the trial call of its half-open breaker. */
		boolean probing;

		/** A trial call was picked and has not ended; read and written by pickers and tracers. */
		final AtomicBoolean trialInFlight = new AtomicBoolean();

		private @Nullable ScheduledHandle probeTimer;

		/** The breaker state the last reconcile saw. */
		private CircuitBreaker.@Nullable State seen;

		InstanceTracker(String name, GrpcCircuitBreakers breakers, BreakerEntry entry) {
			this.name = name;
			this.breakers = breakers;
			this.entry = entry;
		}

		/**
		 * Lets go of the instance's breaker, once: no subchannel of this channel uses the instance any more.
		 * The breaker is removed once its retention has passed; a sweep is scheduled for then, in case nothing
		 * else creates or lets go of a breaker meanwhile.
		 */
		void release() {
			if (this.released) {
				return;
			}
			this.released = true;
			this.breakers.release(this.entry);
			Duration retention = this.breakers.instanceRetention();
			if (retention.compareTo(MAX_SWEEP_DELAY) > 0) {
				// a sweep that far ahead would only hold the timer: creations and releases sweep meanwhile
				return;
			}
			long delay = retention.toMillis() + 1;
			try {
				CircuitBreakerLoadBalancer.this.timer.schedule(this.breakers::removeExpiredInstanceBreakers, delay,
						TimeUnit.MILLISECONDS);
			}
			catch (RuntimeException ex) {
				// the channel's timer is gone: the next breaker created or let go sweeps
			}
		}

		void reconcile() {
			CircuitBreaker.State state = this.entry.breaker.getState();
			boolean entered = state != this.seen;
			this.seen = state;
			switch (state) {
				case OPEN -> {
					setEjected(true);
					// just opened (again): wait for the recovery timeout; already open: a pending timer or a
					// probe already offered stands
					if (entered) {
						cancelProbeTimer();
						this.probing = false;
					}
					if (!this.probing && this.probeTimer == null) {
						scheduleProbe();
					}
				}
				case HALF_OPEN -> {
					setEjected(true);
					cancelProbeTimer();
					this.probing = true;
					connectIfIdle();
				}
				case FORCED_OPEN -> {
					setEjected(true);
					cancelProbeTimer();
					this.probing = false;
				}
				default -> {
					cancelProbeTimer();
					this.probing = false;
					setEjected(false);
				}
			}
		}

		private void scheduleProbe() {
			// one millisecond past the timeout: resilience4j half-opens strictly after it
			long delay = this.entry.recoveryTimeout().toMillis() + 1;
			this.probeTimer = CircuitBreakerLoadBalancer.this.syncContext.schedule(() -> {
				this.probeTimer = null;
				if (!CircuitBreakerLoadBalancer.this.shutdown && this.ejected) {
					this.probing = true;
					connectIfIdle();
					publish();
				}
			}, delay, TimeUnit.MILLISECONDS, CircuitBreakerLoadBalancer.this.timer);
		}

		/** Called by a picker whose probe was refused while the breaker still waits (another clock). */
		void probeRefused() {
			if (this.entry.breaker.getState() == CircuitBreaker.State.OPEN && this.probing) {
				this.probing = false;
				scheduleProbe();
				publish();
			}
		}

		void cancelProbeTimer() {
			if (this.probeTimer != null) {
				this.probeTimer.cancel();
				this.probeTimer = null;
			}
		}

		private void setEjected(boolean ejected) {
			if (this.ejected == ejected) {
				return;
			}
			this.ejected = ejected;
			for (BreakerSubchannel subchannel : List.copyOf(this.subchannels)) {
				subchannel.updateEjection();
			}
		}

		private void connectIfIdle() {
			for (BreakerSubchannel subchannel : this.subchannels) {
				if (subchannel.realState.getState() == ConnectivityState.IDLE) {
					subchannel.delegate().requestConnection();
				}
			}
		}

		@Nullable BreakerSubchannel readySubchannel() {
			for (BreakerSubchannel subchannel : this.subchannels) {
				if (subchannel.realState.getState() == ConnectivityState.READY) {
					return subchannel;
				}
			}
			return null;
		}

		void removed(BreakerSubchannel subchannel) {
			if (this.subchannels.remove(subchannel) && this.subchannels.isEmpty()) {
				cancelProbeTimer();
				CircuitBreakerLoadBalancer.this.trackers.remove(this.name, this);
				release();
			}
		}

	}

	/** A subchannel of an instance; hides its real state from the child while the instance is out. */
	private final class BreakerSubchannel extends ForwardingSubchannel {

		private final Subchannel delegate;

		final InstanceTracker tracker;

		private @Nullable SubchannelStateListener listener;

		ConnectivityStateInfo realState = ConnectivityStateInfo.forNonError(ConnectivityState.IDLE);

		/** Whether the child was last told of the ejection rather than of the real state. */
		private boolean hidden;

		/** The pick of this subchannel counted in its instance's breaker, for a child's plain pick of it. */
		final PickResult countedPick;

		BreakerSubchannel(Subchannel delegate, InstanceTracker tracker) {
			this.delegate = delegate;
			this.tracker = tracker;
			this.countedPick = PickResult.withSubchannel(this, new CountingTracerFactory(tracker, null, null));
		}

		@Override
		protected Subchannel delegate() {
			return this.delegate;
		}

		@Override
		public void start(SubchannelStateListener listener) {
			this.listener = listener;
			this.delegate.start((state) -> {
				ConnectivityState before = this.realState.getState();
				this.realState = state;
				if (!this.hidden) {
					listener.onSubchannelState(state);
				}
				else if (before != state.getState() && this.tracker.probing) {
					if (state.getState() == ConnectivityState.IDLE) {
						this.delegate.requestConnection();
					}
					publish();
				}
			});
			if (this.tracker.ejected) {
				// tell the child after its own start() returned, not from inside it
				CircuitBreakerLoadBalancer.this.syncContext.execute(this::updateEjection);
			}
		}

		void updateEjection() {
			SubchannelStateListener current = this.listener;
			if (current == null || this.hidden == this.tracker.ejected) {
				return;
			}
			this.hidden = this.tracker.ejected;
			if (this.hidden) {
				current.onSubchannelState(ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE
					.withDescription("Instance '" + this.tracker.name + "' is out of load balancing: its circuit breaker is "
							+ this.tracker.entry.breaker.getState())));
			}
			else {
				current.onSubchannelState(this.realState);
			}
		}

		@Override
		public void shutdown() {
			this.tracker.removed(this);
			super.shutdown();
		}

		@Override
		public String toString() {
			return "BreakerSubchannel{" + this.tracker.name + ", " + this.delegate + "}";
		}

	}

	private record Probe(InstanceTracker tracker, BreakerSubchannel subchannel) {
	}

	/**
	 * Gives the trial call of a probing instance first, then picks from the child, skipping an instance
	 * whose breaker has just opened and whose ejection is still on its way.
	 */
	private final class BreakerPicker extends SubchannelPicker {

		private final SubchannelPicker childPicker;

		private final List<Probe> probes;

		private final int maxPicks;

		private final @Nullable Status allOutStatus;

		BreakerPicker(SubchannelPicker childPicker, List<Probe> probes, int maxPicks, @Nullable Status allOutStatus) {
			this.childPicker = childPicker;
			this.probes = probes;
			this.maxPicks = maxPicks;
			this.allOutStatus = allOutStatus;
		}

		@Override
		public PickResult pickSubchannel(PickSubchannelArgs args) {
			boolean counted = !CircuitBreakerClientInterceptor.isHealthCheck(args.getMethodDescriptor())
					&& !args.getCallOptions().getOption(CallAttribution.NOT_COUNTED);
			for (int i = 0; counted && i < this.probes.size(); i++) {
				Probe probe = this.probes.get(i);
				PickResult trial = pickTrial(probe);
				if (trial != null) {
					return trial;
				}
			}
			for (int i = 0; i < this.maxPicks; i++) {
				PickResult result = this.childPicker.pickSubchannel(args);
				Subchannel subchannel = result.getSubchannel();
				if (!(subchannel instanceof BreakerSubchannel wrapped)) {
					if (this.allOutStatus != null && !result.getStatus().isOk() && !result.isDrop()) {
						return PickResult.withError(this.allOutStatus);
					}
					return result;
				}
				if (isClosed(wrapped.tracker.entry.breaker.getState())) {
					if (!counted) {
						return result;
					}
					if (result.getStreamTracerFactory() == null && result.getAuthorityOverride() == null) {
						// the child's plain pick: the same counted pick every time, nothing allocated per call
						return wrapped.countedPick;
					}
					return result.copyWithStreamTracerFactory(
							new CountingTracerFactory(wrapped.tracker, null, result.getStreamTracerFactory()));
				}
			}
			// the breakers just opened: their ejection will hand the channel a new picker
			return PickResult.withNoResult();
		}

		private @Nullable PickResult pickTrial(Probe probe) {
			InstanceTracker tracker = probe.tracker();
			if (!tracker.trialInFlight.compareAndSet(false, true)) {
				return null;
			}
			if (!tracker.entry.tryAcquirePermission()) {
				tracker.trialInFlight.set(false);
				if (tracker.entry.breaker.getState() == CircuitBreaker.State.OPEN) {
					// the breaker's clock has not reached the timeout yet: wait another one
					CircuitBreakerLoadBalancer.this.syncContext.execute(tracker::probeRefused);
				}
				return null;
			}
			Trial trial = new Trial(tracker);
			trial.guard(CircuitBreakerLoadBalancer.this.timer);
			return PickResult.withSubchannel(probe.subchannel(), new CountingTracerFactory(tracker, trial, null));
		}

		private static boolean isClosed(CircuitBreaker.State state) {
			return state == CircuitBreaker.State.CLOSED || state == CircuitBreaker.State.DISABLED
					|| state == CircuitBreaker.State.METRICS_ONLY;
		}

	}

	/**
	 * A trial pick. If no stream starts from it within the recovery timeout (the transport went away
	 * between the pick and the stream), its permission is given back so the breaker is not stuck half-open.
	 */
	private static final class Trial {

		private static final int PICKED = 0;

		private static final int STARTED = 1;

		private static final int ABANDONED = 2;

		private final InstanceTracker tracker;

		private final AtomicInteger state = new AtomicInteger(PICKED);

		Trial(InstanceTracker tracker) {
			this.tracker = tracker;
		}

		void guard(ScheduledExecutorService timer) {
			try {
				timer.schedule(() -> {
					if (this.state.compareAndSet(PICKED, ABANDONED)) {
						this.tracker.entry.release();
						this.tracker.trialInFlight.set(false);
					}
				}, this.tracker.entry.recoveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
			}
			catch (RuntimeException ex) {
				// the channel is shutting down; nothing will be picked any more
			}
		}

		boolean start() {
			return this.state.compareAndSet(PICKED, STARTED);
		}

		void ended() {
			this.tracker.trialInFlight.set(false);
		}

	}

	/**
	 * Counts each stream on an instance in the instance's breaker. A call's {@link CallAttribution} is read from
	 * the stream's call options (those the call was picked with), so one factory without a trial or a delegate
	 * serves every call of an instance ({@link BreakerSubchannel#countedPick}).
	 */
	private static final class CountingTracerFactory extends ClientStreamTracer.Factory {

		/** Stands for an absent delegate; a {@code ClientStreamTracer} keeps no state, so one serves all. */
		private static final ClientStreamTracer NO_TRACER = new ClientStreamTracer() {
		};

		private final InstanceTracker tracker;

		private final @Nullable Trial trial;

		private final ClientStreamTracer.@Nullable Factory delegate;

		CountingTracerFactory(InstanceTracker tracker, @Nullable Trial trial, ClientStreamTracer.@Nullable Factory delegate) {
			this.tracker = tracker;
			this.trial = trial;
			this.delegate = delegate;
		}

		@Override
		public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
			ClientStreamTracer next = (this.delegate != null) ? this.delegate.newClientStreamTracer(info, headers)
					: NO_TRACER;
			if (this.trial != null && !this.trial.start()) {
				// the trial's permission was given back already: this late stream is not counted
				return next;
			}
			BreakerEntry entry = this.tracker.entry;
			return new CountingStreamTracer(next, entry, entry.now(), info.getCallOptions().getOption(CallAttribution.KEY),
					this.trial);
		}

	}

	/** Records a stream's end in its instance's breaker, once. */
	private static final class CountingStreamTracer extends ForwardingClientStreamTracer {

		private static final AtomicIntegerFieldUpdater<CountingStreamTracer> CLOSED = AtomicIntegerFieldUpdater
			.newUpdater(CountingStreamTracer.class, "closed");

		private final ClientStreamTracer next;

		private final BreakerEntry entry;

		private final long start;

		private final @Nullable CallAttribution attribution;

		private final @Nullable Trial trial;

		/** 1 once {@link #streamClosed} has recorded; a field rather than an {@code AtomicBoolean} per stream. */
		private volatile int closed;

		CountingStreamTracer(ClientStreamTracer next, BreakerEntry entry, long start,
				@Nullable CallAttribution attribution, @Nullable Trial trial) {
			this.next = next;
			this.entry = entry;
			this.start = start;
			this.attribution = attribution;
			this.trial = trial;
		}

		@Override
		protected ClientStreamTracer delegate() {
			return this.next;
		}

		@Override
		public void streamClosed(Status status) {
			if (CLOSED.compareAndSet(this, 0, 1)) {
				boolean failure = this.entry.recordStatus(this.start, status, null, false);
				if (this.attribution != null) {
					this.attribution.attemptClosed(failure);
				}
				if (this.trial != null) {
					this.trial.ended();
				}
			}
			super.streamClosed(status);
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
