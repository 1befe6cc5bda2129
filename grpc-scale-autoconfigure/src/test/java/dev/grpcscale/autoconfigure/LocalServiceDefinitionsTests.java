package dev.grpcscale.autoconfigure;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.ServiceDefinition;

import static org.assertj.core.api.Assertions.assertThat;

class LocalServiceDefinitionsTests {

	private static final Supplier<Optional<String>> MACHINE = () -> Optional.of("10.20.30.40");

	@Test
	void advertisedHostIsTheBoundAddressWithoutPortOrHostName() {
		assertThat(LocalServiceDefinitions.advertisedHost("/127.0.0.1:9090", MACHINE)).isEqualTo("127.0.0.1");
		assertThat(LocalServiceDefinitions.advertisedHost("localhost/127.0.0.1:9090", MACHINE)).isEqualTo("127.0.0.1");
		assertThat(LocalServiceDefinitions.advertisedHost("/[0:0:0:0:0:0:0:1]:9090", MACHINE)).isEqualTo("0:0:0:0:0:0:0:1");
		assertThat(LocalServiceDefinitions.advertisedHost("10.1.2.3", MACHINE)).isEqualTo("10.1.2.3");
		assertThat(LocalServiceDefinitions.advertisedHost("[/127.0.0.1:9090, /10.0.0.1:9090]", MACHINE)).isEqualTo("127.0.0.1");
		assertThat(LocalServiceDefinitions.advertisedHost("::1", MACHINE)).isEqualTo("::1");
	}

	@Test
	void advertisedHostOfAWildcardBindIsThisMachinesRoutableAddress() {
		String local = "10.20.30.40";
		assertThat(LocalServiceDefinitions.advertisedHost("/0.0.0.0:9090", MACHINE)).isEqualTo(local);
		assertThat(LocalServiceDefinitions.advertisedHost("/[0:0:0:0:0:0:0:0]:9090", MACHINE)).isEqualTo(local);
		assertThat(LocalServiceDefinitions.advertisedHost("*", MACHINE)).isEqualTo(local);
		assertThat(LocalServiceDefinitions.advertisedHost(null, MACHINE)).isEqualTo(local);
	}

	@Test
	void advertisedHostOfAWildcardBindIsLoopbackOnlyWhenTheMachineHasNoOtherAddress() {
		assertThat(LocalServiceDefinitions.advertisedHost("/0.0.0.0:9090", Optional::empty)).isEqualTo("127.0.0.1");
	}

	@Test
	void aServicesConfiguredHostIsRegisteredForAWildcardBind() {
		GrpcScaleProperties.Service orders = new GrpcScaleProperties.Service();
		orders.setHost("orders.internal");
		LocalServiceDefinitions definitions = new LocalServiceDefinitions(List.of(orders), "orders", Optional::empty);
		assertThat(definitions.forServer("/0.0.0.0:9090", 9090)).singleElement()
			.extracting(ServiceDefinition::host)
			.isEqualTo("orders.internal");
		assertThat(new LocalServiceDefinitions(List.of(), "orders", MACHINE).forServer("/[::]:9090", 9090))
			.singleElement()
			.extracting(ServiceDefinition::host)
			.isEqualTo("10.20.30.40");
	}

	@Test
	void advertisedAddressIsHostAndPortOfTheFirstRegisteredServiceWhetherOrNotDiscoveryIsEnabled() {
		LocalServiceDefinitions plain = registrar(List.of());
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

	@Test
	void definitionsKeepTheirInstanceIdsForTheSameAddressAndTakeNewOnesForANewPort() {
		GrpcScaleProperties.Service orders = new GrpcScaleProperties.Service();
		GrpcScaleProperties.Service disabled = new GrpcScaleProperties.Service();
		disabled.setName("off");
		disabled.setEnabled(false);
		LocalServiceDefinitions definitions = registrar(List.of(orders, disabled));
		List<ServiceDefinition> first = definitions.forServer("/127.0.0.1:9090", 9090);
		assertThat(first).extracting(ServiceDefinition::name).containsExactly("orders");
		assertThat(definitions.forServer("/127.0.0.1:9090", 9090)).isEqualTo(first);
		assertThat(definitions.forServer("/127.0.0.1:9191", 9191)).singleElement()
			.satisfies((moved) -> assertThat(moved.instanceId()).isNotEqualTo(first.get(0).instanceId()));
		assertThat(definitions.forServer("inprocess:test", -1)).isEmpty();
		assertThat(definitions.configuredNames()).containsExactly("orders");
	}

	private static LocalServiceDefinitions registrar(List<GrpcScaleProperties.Service> services) {
		return new LocalServiceDefinitions(services, "orders");
	}

}
