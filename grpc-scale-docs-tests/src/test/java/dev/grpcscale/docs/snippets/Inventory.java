package dev.grpcscale.docs.snippets;

// tag::imports[]
import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.ServiceInstance;
import org.springframework.stereotype.Service;
// end::imports[]

// tag::code[]
@Service
class Inventory {

    private final EnhancedServiceManager manager;

    Inventory(EnhancedServiceManager manager) {
        this.manager = manager;
    }

    void show() {
        for (ServiceInstance instance : manager.discoverServices("greeter")) {   // healthy instances, cached
            System.out.println(instance.instanceId() + " " + instance.address());
        }
        Subscription subscription = manager.watchServiceChanges("greeter",
                (instances) -> System.out.println(instances.size() + " instances"));
        System.out.println(manager.getEnhancedServiceStatus());
        subscription.close();   // stop watching
    }

}
// end::code[]
