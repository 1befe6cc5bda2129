package dev.grpcscale.circuitbreaker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.util.GracefulSwitchLoadBalancer;
import org.jspecify.annotations.Nullable;

/**
 * The {@value #POLICY_NAME} load-balancing policy: a child policy ({@code round_robin} unless configured)
 * over the instances whose circuit breaker is closed. An instance whose breaker opens leaves the child's
 * rotation (its connection stays up) while the others keep serving; after the recovery timeout it
 * receives one trial call, and rejoins when that call succeeds. When no instance is left, calls fail fast
 * with {@code UNAVAILABLE} naming the service.
 *
 * <p>Its configuration names the child policy as {@code outlier_detection} does, in the service config's
 * own form; the first policy of the list that gRPC knows is used:
 * <pre>{@code
 * {"loadBalancingConfig": [{"grpc_scale_round_robin": {"childPolicy": [{"pick_first": {}}]}}]}
 * }</pre>
 * Without {@code childPolicy} the child is {@code round_robin}. The child is any registered policy that
 * creates one subchannel per address ({@code round_robin}, {@code pick_first}, {@code weighted_round_robin}
 * where grpc-xds is present, ...); it runs behind a {@link GracefulSwitchLoadBalancer}, so a new config
 * switches it without dropping calls. A {@code childPolicy} that is not a non-empty list of
 * {@code {name: config}} objects, names only unknown policies, has an invalid config for its policy, or
 * names {@value #POLICY_NAME} itself is a parse error: {@link #parseLoadBalancingPolicyConfig} returns it
 * as a status, and the channel fails its calls with it (a channel's default service config with such an
 * error is refused by {@code ManagedChannelBuilder.build()}).
 *
 * <p>Client-side health checking composes: with {@code healthCheckConfig} in the service config, the
 * {@code round_robin} child (health-checking when grpc-services is present) probes each instance; one
 * reporting {@code NOT_SERVING} leaves the rotation, and breakers still count the calls of the others.
 * To keep a channel's own service config (retry policy, {@code healthCheckConfig}, policy) and add the
 * breakers, wrap its policy with {@link #wrapServiceConfig(Map, String)}.
 *
 * <pre>{@code
 * CircuitBreakerLoadBalancerProvider.registerDefault();
 * DiscoveryNameResolverProvider.registerDefault();
 * ManagedChannel channel = breakers.configure(DiscoveryNameResolverProvider.configure(
 *         ManagedChannelBuilder.forTarget("discovery:///product-service").usePlaintext(), discovery))
 *     .defaultServiceConfig(CircuitBreakerLoadBalancerProvider.wrapServiceConfig(myServiceConfig, "pick_first"))
 *     .disableServiceConfigLookUp()
 *     .build();
 * }</pre>
 *
 * <p>The {@code discovery:///} resolver asks for this policy first and falls back to {@code round_robin}
 * while it is not registered. The policy finds the channel's breakers in the name-resolver argument
 * {@link GrpcCircuitBreakers#NAME_RESOLVER_ARG}; without it, it balances as its child policy alone and
 * logs a warning on the channel logger. Instances are recognised by the
 * {@link dev.grpcscale.discovery.DiscoveryNameResolverProvider#INSTANCE} address attribute; other
 * addresses are balanced but have no breaker.
 *
 * <p>Limits: a breaker opened by a call on another channel (breakers are shared by name) also takes the
 * instance out of this channel's rotation. A breaker takes an instance out by reporting its subchannel in
 * {@code TRANSIENT_FAILURE} to the child, so a child that reacts to that otherwise than by skipping the
 * subchannel (none of gRPC's own do) would not honour breakers.
 */
public final class CircuitBreakerLoadBalancerProvider extends LoadBalancerProvider {

	/** The policy name, to use in a service config or {@code defaultLoadBalancingPolicy}. */
	public static final String POLICY_NAME = "grpc_scale_round_robin";

	/** The configuration key naming the child policy, a {@code loadBalancingConfig} list. */
	public static final String CHILD_POLICY = "childPolicy";

	private static final String ROUND_ROBIN = "round_robin";

	private static final String LOAD_BALANCING_CONFIG = "loadBalancingConfig";

	private static final String LOAD_BALANCING_POLICY = "loadBalancingPolicy";

	private static final List<Map<String, ?>> DEFAULT_CHILD_POLICY = List.of(Map.of(ROUND_ROBIN, Map.of()));

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

	/**
	 * Returns a copy of a service config (in gRPC's JSON-as-map form) whose load-balancing policy runs as
	 * the child of {@value #POLICY_NAME}; every other entry ({@code methodConfig} with its retry policies,
	 * {@code retryThrottling}, {@code healthCheckConfig}, ...) is kept as is. The child is the config's
	 * {@code loadBalancingConfig} list, else its {@code loadBalancingPolicy}, else {@code defaultPolicy}.
	 * The child list also follows {@value #POLICY_NAME} in the result, so a channel where this policy is
	 * not registered balances with the child alone. A config whose first policy is {@value #POLICY_NAME}
	 * already is returned unchanged (as a copy).
	 * @param serviceConfig the service config; not modified
	 * @param defaultPolicy the policy when the config names none, e.g. the channel's
	 * {@code defaultLoadBalancingPolicy} ({@code round_robin}, {@code pick_first}, ...)
	 * @return the new service config
	 * @throws IllegalArgumentException if {@code defaultPolicy} is blank
	 */
	public static Map<String, Object> wrapServiceConfig(Map<String, ?> serviceConfig, String defaultPolicy) {
		if (defaultPolicy == null || defaultPolicy.isBlank()) {
			throw new IllegalArgumentException(
					"defaultPolicy: '" + defaultPolicy + "' (expected: a load-balancing policy name)");
		}
		Map<String, Object> wrapped = new LinkedHashMap<>(serviceConfig);
		Object configs = wrapped.get(LOAD_BALANCING_CONFIG);
		List<Object> child;
		if (configs instanceof List<?> list && !list.isEmpty()) {
			if (list.get(0) instanceof Map<?, ?> first && first.containsKey(POLICY_NAME)) {
				return wrapped;
			}
			child = List.copyOf(list);
		}
		else if (wrapped.get(LOAD_BALANCING_POLICY) instanceof String policy && !policy.isBlank()) {
			child = List.of(Map.of(policy.toLowerCase(Locale.ROOT), Map.of()));
		}
		else {
			child = List.of(Map.of(defaultPolicy, Map.of()));
		}
		wrapped.remove(LOAD_BALANCING_POLICY);
		List<Object> policies = new ArrayList<>(child.size() + 1);
		policies.add(Map.of(POLICY_NAME, Map.of(CHILD_POLICY, child)));
		policies.addAll(child);
		wrapped.put(LOAD_BALANCING_CONFIG, List.copyOf(policies));
		return wrapped;
	}

	@Override
	public boolean isAvailable() {
		return true;
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
		return new CircuitBreakerLoadBalancer(helper, breakersOf(helper), defaultConfig());
	}

	/**
	 * Parses {@code {"childPolicy": [{"<policy>": {...}}, ...]}} with gRPC's own service-config parsing
	 * (the first known policy of the list, its config parsed by its provider). Never throws.
	 * @param rawConfig the policy's JSON object
	 * @return the config, or an error status naming {@value #POLICY_NAME} and the bad {@code childPolicy}
	 */
	@Override
	public NameResolver.ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
		try {
			Object raw = rawConfig.get(CHILD_POLICY);
			List<Map<String, ?>> childPolicy = (raw != null) ? childPolicy(raw) : DEFAULT_CHILD_POLICY;
			if (childPolicy == null) {
				return error(Status.Code.INTERNAL, raw, "expected: a non-empty list of {\"<policy>\": {...}} objects");
			}
			for (Map<String, ?> entry : childPolicy) {
				if (entry.containsKey(POLICY_NAME)) {
					return error(Status.Code.INTERNAL, raw,
							"expected: another policy; " + POLICY_NAME + " cannot be its own child");
				}
			}
			NameResolver.ConfigOrError child = GracefulSwitchLoadBalancer.parseLoadBalancingPolicyConfig(childPolicy);
			Status failed = child.getError();
			if (failed != null) {
				return NameResolver.ConfigOrError.fromError(
						errorStatus(failed.getCode(), childPolicy, failed.getDescription()).withCause(failed.getCause()));
			}
			return NameResolver.ConfigOrError.fromConfig(new CircuitBreakerLoadBalancer.Config(child.getConfig(),
					childPolicy));
		}
		catch (RuntimeException ex) {
			return NameResolver.ConfigOrError.fromError(Status.INTERNAL
				.withDescription("Failed parsing configuration for " + POLICY_NAME + ": " + ex.getMessage())
				.withCause(ex));
		}
	}

	/** The config when the channel gave none: {@code round_robin} as the child. */
	private CircuitBreakerLoadBalancer.@Nullable Config defaultConfig() {
		NameResolver.ConfigOrError parsed = parseLoadBalancingPolicyConfig(Map.of());
		return (parsed.getConfig() instanceof CircuitBreakerLoadBalancer.Config config) ? config : null;
	}

	private static @Nullable List<Map<String, ?>> childPolicy(Object raw) {
		if (!(raw instanceof List<?> list) || list.isEmpty()) {
			return null;
		}
		List<Map<String, ?>> policies = new ArrayList<>(list.size());
		for (Object entry : list) {
			if (!(entry instanceof Map<?, ?> map) || map.size() != 1
					|| !(map.keySet().iterator().next() instanceof String)) {
				return null;
			}
			@SuppressWarnings("unchecked")
			Map<String, ?> policy = (Map<String, ?>) map;
			policies.add(policy);
		}
		return policies;
	}

	private static NameResolver.ConfigOrError error(Status.Code code, @Nullable Object childPolicy,
			@Nullable String reason) {
		return NameResolver.ConfigOrError.fromError(errorStatus(code, childPolicy, reason));
	}

	private static Status errorStatus(Status.Code code, @Nullable Object childPolicy, @Nullable String reason) {
		return Status.fromCode(code)
			.withDescription(POLICY_NAME + " " + CHILD_POLICY + ": " + childPolicy + " (" + reason + ")");
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
