package dev.grpcscale.benchmarks;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.Status;
import io.grpc.util.ForwardingLoadBalancer;

/** A policy ({@code grpc_scale_round_robin} or grpc's {@code round_robin}) reporting the size of each address list it has taken, for {@link ScaleMeasurement}. */
final class ObservedPolicyProvider extends LoadBalancerProvider {

	private final String name;

	private final String childPolicy;

	ObservedPolicyProvider(String name, String childPolicy) {
		this.name = name;
		this.childPolicy = childPolicy;
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
		return this.name;
	}

	@Override
	public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
		LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry().getProvider(this.childPolicy);
		LoadBalancer child = provider.newLoadBalancer(helper);
		Object childConfig = provider.parseLoadBalancingPolicyConfig(Map.of()).getConfig();
		AtomicInteger accepted = ScaleMeasurement.ACCEPTED.computeIfAbsent(helper.getAuthority(), (key) -> new AtomicInteger(-1));
		return new ForwardingLoadBalancer() {

			@Override
			protected LoadBalancer delegate() {
				return child;
			}

			@Override
			public Status acceptResolvedAddresses(ResolvedAddresses resolvedAddresses) {
				Status status = child
					.acceptResolvedAddresses(resolvedAddresses.toBuilder().setLoadBalancingPolicyConfig(childConfig).build());
				accepted.set(resolvedAddresses.getAddresses().size());
				return status;
			}

		};
	}

}
