package dev.grpcscale.autoconfigure;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcScaleServiceRegistrarTests {

	@Test
	void advertisedHostIsTheBoundAddressWithoutPortOrHostName() {
		assertThat(GrpcScaleServiceRegistrar.advertisedHost("/127.0.0.1:9090")).isEqualTo("127.0.0.1");
		assertThat(GrpcScaleServiceRegistrar.advertisedHost("localhost/127.0.0.1:9090")).isEqualTo("127.0.0.1");
		assertThat(GrpcScaleServiceRegistrar.advertisedHost("/[0:0:0:0:0:0:0:1]:9090")).isEqualTo("0:0:0:0:0:0:0:1");
		assertThat(GrpcScaleServiceRegistrar.advertisedHost("10.1.2.3")).isEqualTo("10.1.2.3");
		assertThat(GrpcScaleServiceRegistrar.advertisedHost("[/127.0.0.1:9090, /10.0.0.1:9090]")).isEqualTo("127.0.0.1");
		assertThat(GrpcScaleServiceRegistrar.advertisedHost("::1")).isEqualTo("::1");
	}

	@Test
	void advertisedHostOfWildcardIsThisMachinesAddress() throws Exception {
		String local = InetAddress.getLocalHost().getHostAddress();
		assertThat(GrpcScaleServiceRegistrar.advertisedHost("/0.0.0.0:9090")).isEqualTo(local);
		assertThat(GrpcScaleServiceRegistrar.advertisedHost("/[0:0:0:0:0:0:0:0]:9090")).isEqualTo(local);
		assertThat(GrpcScaleServiceRegistrar.advertisedHost("*")).isEqualTo(local);
		assertThat(GrpcScaleServiceRegistrar.advertisedHost(null)).isEqualTo(local);
	}

}
