package dev.grpcscale.autoconfigure.health;

import io.grpc.InsecureChannelCredentials;
import org.junit.jupiter.api.Test;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientProperties;

import static org.assertj.core.api.Assertions.assertThat;

/** Which of Boot's channel settings a probe of a service's instance takes its credentials from. */
class ProbeChannelFactoryTests {

	@Test
	void probesOfAServiceUseTheChannelConfiguredWithItsDiscoveryTargetElseTheTargetItself() {
		GrpcClientProperties properties = new GrpcClientProperties();
		GrpcClientProperties.Channel users = new GrpcClientProperties.Channel();
		users.setTarget(" discovery:///user-service ");
		properties.getChannel().put("users", users);
		GrpcClientProperties.Channel other = new GrpcClientProperties.Channel();
		other.setTarget("static://127.0.0.1:9090");
		properties.getChannel().put("other", other);
		ProbeChannelFactory factory = new ProbeChannelFactory((name) -> InsecureChannelCredentials.create(),
				properties, java.util.Map.of());

		assertThat(factory.channelOf("user-service")).isEqualTo("users");
		assertThat(factory.channelOf("product-service")).isEqualTo("discovery:///product-service");
	}

}
