package dev.grpcscale.docs.snippets;

// tag::imports[]
import java.time.Instant;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDefinition;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
// end::imports[]

class WithoutSpring {

    static ManagedChannel channel() {
        // tag::code[]
        InMemoryServiceRegistry discovery = InMemoryServiceRegistry.create();
        discovery.register(ServiceDefinition.of("greeter", "127.0.0.1", 9090).toInstance(Instant.now()));

        DiscoveryNameResolverProvider.registerDefault();
        ManagedChannel channel = DiscoveryNameResolverProvider
            .configure(ManagedChannelBuilder.forTarget("discovery:///greeter").usePlaintext(), discovery)
            .build();
        // end::code[]
        return channel;
    }

}
