package dev.grpcscale.circuitbreaker;

import java.util.Map;

import io.grpc.ConnectivityState;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolver;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/**
 * The {@value #POLICY_NAME} load-balancing policy: {@code round_robin} over the instances whose circuit
 * breaker is closed. An instance whose breaker opens leaves the rotation (its connection stays up) while
 * the others keep serving; after the recovery timeout it receives one trial call, and rejoins when that
 * call succeeds. When no instance is left, calls fail fast with {@code UNAVAILABLE} naming the service.
 *
 * <pre>{@code
 * CircuitBreakerLoadBalancerProvider.registerDefault();
 * DiscoveryNameResolverProvider.registerDefault();
 * ManagedChannel channel = breakers.configure(DiscoveryNameResolverProvider.configure(
 *         ManagedChannelBuilder.forTarget("discovery:///product-service").usePlaintext(), discovery))
 *     .build();
 * }</pre>
 *
 * <p>The {@code discovery:///} resolver asks for this policy first and falls back to {@code round_robin}
 * while it is not registered. The policy finds the channel's breakers in the name-resolver argument
 * {@link GrpcCircuitBreakers#NAME_RESOLVER_ARG}; without it, it balances as plain {@code round_robin}
 * and logs a warning on the channel logger. Instances are recognised by the
 * {@link dev.grpcscale.discovery.DiscoveryNameResolverProvider#INSTANCE} address attribute; other
 * addresses are balanced but have no breaker. The policy takes no configuration.
 *
 * <p>Limits: a breaker opened by a call on another channel (breakers are shared by name) also takes the
 * instance out of this channel's rotation; the rotation is that of {@code round_robin}, without weights.
 */
public final class CircuitBreakerLoadBalancerProvider extends LoadBalancerProvider {

	/** The policy name, to use in a service config or {@code defaultLoadBalancingPolicy}. */
	public static final String POLICY_NAME = "grpc_scale_round_robin";

	private static final String ROUND_ROBIN = "round_robin";

	private static final Object CONFIG = new Object() {

		@Override
		public String toString() {
			return POLICY_NAME + "{}";
		}

	};

	/**
	 * Registers a provider in gRPC's default registry unless one is registered already. Idempotent and
	 * safe to call from several threads and applications.
	 * @return the provider now serving {@value #POLICY_NAME}
	 */
	public static synchronized LoadBalancerProvider registerDefault() {
		LoadBalancerRegistry registry = LoadBalancerRegistry.getDefaultRegistry();
		LoadBalancerProvider existing = registry.getProvider(POLICY_NAME);
		if (existing != null) {
			return existing;
		}
		CircuitBreakerLoadBalancerProvider provider = new CircuitBreakerLoadBalancerProvider();
		registry.register(provider);
		return provider;
	}

	@Override
	public boolean isAvailable() {
		return roundRobin() != null;
	}

	@Override
	public int getPriority() {
		return 5;
	}

	@Override
	public String getPolicyName() {
		return POLICY_NAME;
	}

	@Override
	public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
		LoadBalancerProvider roundRobin = roundRobin();
		if (roundRobin == null) {
			// isAvailable() kept this provider out of the registry; never reached through it
			return new FailingLoadBalancer(helper);
		}
		return new CircuitBreakerLoadBalancer(helper, breakersOf(helper), roundRobin);
	}

	@Override
	public NameResolver.ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
		return NameResolver.ConfigOrError.fromConfig(CONFIG);
	}

	/** Fails every pick, for a JVM without {@code round_robin}. */
	private static final class FailingLoadBalancer extends LoadBalancer {

		private final Helper helper;

		FailingLoadBalancer(Helper helper) {
			this.helper = helper;
		}

		@Override
		public Status acceptResolvedAddresses(ResolvedAddresses resolvedAddresses) {
			Status error = Status.INTERNAL.withDescription(POLICY_NAME + " needs the round_robin policy (grpc-util)");
			this.helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE,
					new FixedResultPicker(PickResult.withError(error)));
			return error;
		}

		@Override
		public void handleNameResolutionError(Status error) {
			this.helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE,
					new FixedResultPicker(PickResult.withError(error)));
		}

		@Override
		public void shutdown() {
		}

	}

	private static @Nullable LoadBalancerProvider roundRobin() {
		return LoadBalancerRegistry.getDefaultRegistry().getProvider(ROUND_ROBIN);
	}

	private static @Nullable GrpcCircuitBreakers breakersOf(LoadBalancer.Helper helper) {
		try {
			NameResolver.Args args = helper.getNameResolverArgs();
			return (args != null) ? args.getArg(GrpcCircuitBreakers.NAME_RESOLVER_ARG) : null;
		}
		catch (RuntimeException ex) {
			// a helper that does not expose the arguments: no breakers
			return null;
		}
	}

}
