package dev.grpcscale.docs.snippets;

// tag::imports[]
import java.util.List;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.examples.product.ProductServiceGrpc;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.ImportGrpcClients;
import org.springframework.stereotype.Service;
// end::imports[]

// tag::code[]
@Configuration
@ImportGrpcClients(target = "discovery:///product-service",
        types = ProductServiceGrpc.ProductServiceBlockingStub.class)
class Clients {
}

@Service
class Catalogue {

    private final EnhancedServiceManager manager;

    Catalogue(EnhancedServiceManager manager) {
        this.manager = manager;
    }

    List<ServiceInstance> products() {
        return manager.discoverServices("product-service");   // healthy instances, from the local cache
    }

}
// end::code[]
