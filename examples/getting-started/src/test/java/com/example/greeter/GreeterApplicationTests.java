package com.example.greeter;

import dev.grpcscale.EnhancedServiceManager;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(properties = "spring.grpc.server.port=0")
class GreeterApplicationTests {

    @Autowired
    GreeterClient client;

    @Autowired
    EnhancedServiceManager manager;

    @Test
    void greeterIsRegisteredAndCalledThroughDiscovery() {
        assertThat(this.manager.discoverServices("greeter")).hasSize(1);
        assertThat(this.client.greet("Ada")).isEqualTo("Hello, Ada");
    }

}
