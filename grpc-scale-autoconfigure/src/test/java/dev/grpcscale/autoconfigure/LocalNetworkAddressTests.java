package dev.grpcscale.autoconfigure;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.grpcscale.autoconfigure.LocalNetworkAddress.Interface;

import static org.assertj.core.api.Assertions.assertThat;

class LocalNetworkAddressTests {

	private static InetAddress address(String literal) {
		try {
			// a literal address: no lookup
			return InetAddress.getByName(literal);
		}
		catch (UnknownHostException ex) {
			throw new IllegalArgumentException(literal, ex);
		}
	}

	private static Interface up(String name, int index, String... addresses) {
		return new Interface(name, index, true, false, List.of(addresses).stream().map(LocalNetworkAddressTests::address).toList());
	}

	@Test
	void aSiteLocalAddressIsChosenOverLoopbackAndTheDebianHostNameAddress() {
		assertThat(LocalNetworkAddress.choose(List.of(up("lo", 1, "127.0.0.1", "127.0.1.1", "::1"),
				up("eth0", 2, "192.168.1.20"))))
			.contains("192.168.1.20");
	}

	@Test
	void ipv4IsPreferredOverIpv6OnAnyInterface() {
		assertThat(LocalNetworkAddress.choose(List.of(up("eth0", 2, "2001:db8::7"), up("eth1", 3, "10.0.0.7"))))
			.contains("10.0.0.7");
	}

	@Test
	void aGlobalIpv6AddressIsChosenWhenThereIsNoIpv4OneAndLinkLocalAddressesNeverAre() {
		assertThat(LocalNetworkAddress.choose(List.of(up("eth0", 2, "fe80::1", "169.254.3.4", "2001:db8::7"))))
			.contains("2001:db8:0:0:0:0:0:7");
	}

	@Test
	void interfacesThatAreDownAreSkipped() {
		Interface down = new Interface("eth0", 2, false, false, List.of(address("10.0.0.1")));
		assertThat(LocalNetworkAddress.choose(List.of(down, up("eth1", 3, "10.0.0.2")))).contains("10.0.0.2");
	}

	@Test
	void containerAndVirtualBridgesAreChosenOnlyWhenNoOtherInterfaceHasAnAddress() {
		Interface docker = up("docker0", 1, "172.17.0.1");
		Interface bridge = up("br-4f1c2a", 2, "172.18.0.1");
		Interface virtual = new Interface("eth0:1", 3, true, true, List.of(address("10.9.9.9")));
		Interface ethernet = up("enp3s0", 9, "10.1.2.3");
		assertThat(LocalNetworkAddress.choose(List.of(docker, bridge, virtual, ethernet))).contains("10.1.2.3");
		assertThat(LocalNetworkAddress.choose(List.of(docker, bridge))).contains("172.17.0.1");
	}

	@Test
	void amongEqualCandidatesTheInterfaceWithTheLowestIndexWins() {
		assertThat(LocalNetworkAddress.choose(List.of(up("wlan0", 5, "192.168.0.9"), up("eth0", 2, "10.0.0.2"))))
			.contains("10.0.0.2");
	}

	@Test
	void nothingIsChosenOnAMachineWithOnlyLoopback() {
		assertThat(LocalNetworkAddress.choose(List.of(up("lo", 1, "127.0.0.1", "::1")))).isEmpty();
		assertThat(LocalNetworkAddress.choose(List.of())).isEmpty();
	}

	@Test
	void thisMachinesAddressIsNeverLoopback() {
		LocalNetworkAddress.ofThisMachine()
			.ifPresent((chosen) -> assertThat(address(chosen).isLoopbackAddress()).as(chosen).isFalse());
	}

}
