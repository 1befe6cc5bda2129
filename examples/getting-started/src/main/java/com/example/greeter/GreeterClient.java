package com.example.greeter;

import com.example.greeter.api.GreeterGrpc;
import com.example.greeter.api.HelloRequest;
import dev.grpcscale.EnhancedServiceManager;
import org.springframework.grpc.client.ImportGrpcClients;
import org.springframework.stereotype.Component;

/** Calls 'greeter' wherever discovery finds it, inside the circuit breaker 'greet'. */
@Component
@ImportGrpcClients(target = "discovery:///greeter", types = GreeterGrpc.GreeterBlockingStub.class)
public class GreeterClient {

    private final GreeterGrpc.GreeterBlockingStub greeter;

    private final EnhancedServiceManager manager;

    public GreeterClient(GreeterGrpc.GreeterBlockingStub greeter, EnhancedServiceManager manager) {
        this.greeter = greeter;
        this.manager = manager;
    }

    public String greet(String name) {
        return this.manager.executeWithEnhancements(
                () -> this.greeter.sayHello(HelloRequest.newBuilder().setName(name).build()).getMessage(), "greet");
    }

}
