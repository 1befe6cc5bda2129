package dev.grpcscale.autoconfigure;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.grpcscale.EnhancedServiceManager;

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

	@Test
	void advertisedAddressIsHostAndPortOfTheFirstRegisteredServiceWhetherOrNotDiscoveryIsEnabled() {
		GrpcScaleServiceRegistrar plain = registrar(List.of());
		assertThat(plain.advertisedAddress("/127.0.0.1:43210", 43210)).isEqualTo("127.0.0.1:43210");
		assertThat(plain.advertisedAddress("/[0:0:0:0:0:0:0:1]:9090", 9090)).isEqualTo("[0:0:0:0:0:0:0:1]:9090");

		GrpcScaleProperties.Service disabled = new GrpcScaleProperties.Service();
		disabled.setEnabled(false);
		disabled.setHost("disabled.internal");
		GrpcScaleProperties.Service first = new GrpcScaleProperties.Service();
		first.setHost("orders.internal");
		GrpcScaleProperties.Service second = new GrpcScaleProperties.Service();
		second.setPort(7070);
		assertThat(registrar(List.of(disabled, first, second)).advertisedAddress("/127.0.0.1:9090", 9090))
			.isEqualTo("orders.internal:9090");
		assertThat(registrar(List.of(disabled)).advertisedAddress("/127.0.0.1:9090", 9090)).isEqualTo("127.0.0.1:9090");
	}

	@Test
	void advertisedAddressOfAServerWithoutNetworkPortIsNull() {
		assertThat(registrar(List.of()).advertisedAddress("inprocess:test", -1)).isNull();
	}

	private static GrpcScaleServiceRegistrar registrar(List<GrpcScaleProperties.Service> services) {
		return new GrpcScaleServiceRegistrar(EnhancedServiceManager.builder().build(), services, "orders", false);
	}

}
