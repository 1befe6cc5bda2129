package dev.grpcscale.docs.snippets;

// tag::imports[]
import java.util.Map;

import dev.grpcscale.circuitbreaker.CircuitBreakerLoadBalancerProvider;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.ServiceDiscovery;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
// end::imports[]

class ChannelByHand {

    static ManagedChannel channel(GrpcCircuitBreakers breakers, ServiceDiscovery discovery,
            Map<String, ?> myServiceConfig) {
        // tag::code[]
        ManagedChannel channel = breakers.configure(DiscoveryNameResolverProvider.configure(
                NettyChannelBuilder.forTarget("discovery:///product-service"), discovery))
            .defaultServiceConfig(CircuitBreakerLoadBalancerProvider.wrapServiceConfig(myServiceConfig, "round_robin"))
            .disableServiceConfigLookUp()
            .build();
        // end::code[]
        return channel;
    }

}
