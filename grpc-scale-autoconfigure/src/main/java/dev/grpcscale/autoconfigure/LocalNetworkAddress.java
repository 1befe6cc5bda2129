package dev.grpcscale.autoconfigure;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Picks the address to register for a server bound to a wildcard address ({@code 0.0.0.0}, {@code ::}):
 * an address of this machine that other machines can dial, never {@code InetAddress.getLocalHost()},
 * which is {@code 127.0.1.1} on Debian-style hosts.
 *
 * <p>Rules, in order: only interfaces that are up; no loopback, link-local ({@code 169.254/16},
 * {@code fe80::/10}), wildcard or multicast address; interfaces of container and VM bridges ({@code docker*},
 * {@code br-*}, {@code veth*}, {@code virbr*}, {@code cni*}, {@code flannel*}, {@code cali*},
 * {@code vmnet*}, {@code vboxnet*}, {@code podman*}) and virtual sub-interfaces only when no other
 * interface has an address; IPv4 before IPv6; then the interfaces' order (their index). Empty when no
 * such address exists: the caller falls back to loopback and says so.
 */
final class LocalNetworkAddress {

	private static final Pattern BRIDGE_NAMES = Pattern
		.compile("(docker|br-|veth|virbr|cni|flannel|cali|vmnet|vboxnet|podman).*");

	private LocalNetworkAddress() {
	}

	/** One network interface as the rules see it. */
	record Interface(String name, int index, boolean up, boolean virtual, List<InetAddress> addresses) {

		Interface {
			addresses = List.copyOf(addresses);
		}

		boolean bridge() {
			return this.virtual || BRIDGE_NAMES.matcher(this.name).matches();
		}

	}

	/**
	 * The routable address of this machine, from its network interfaces.
	 * @return the address text (no scope suffix), or empty if the machine has none but loopback
	 */
	static Optional<String> ofThisMachine() {
		return choose(interfacesOfThisMachine());
	}

	/**
	 * Applies the rules to the given interfaces.
	 * @param interfaces the machine's interfaces
	 * @return the address text (no scope suffix), or empty if none qualifies
	 */
	static Optional<String> choose(List<Interface> interfaces) {
		record Candidate(Interface owner, InetAddress address) {
		}
		List<Candidate> candidates = new ArrayList<>();
		for (Interface network : interfaces) {
			if (!network.up()) {
				continue;
			}
			for (InetAddress address : network.addresses()) {
				if (!address.isLoopbackAddress() && !address.isLinkLocalAddress() && !address.isAnyLocalAddress()
						&& !address.isMulticastAddress()) {
					candidates.add(new Candidate(network, address));
				}
			}
		}
		return candidates.stream()
			.min(Comparator.comparing((Candidate candidate) -> candidate.owner().bridge())
				.thenComparing((candidate) -> !(candidate.address() instanceof Inet4Address))
				.thenComparingInt((candidate) -> candidate.owner().index()))
			.map((candidate) -> withoutScope(candidate.address().getHostAddress()));
	}

	private static String withoutScope(String address) {
		int percent = address.indexOf('%');
		return (percent >= 0) ? address.substring(0, percent) : address;
	}

	private static List<Interface> interfacesOfThisMachine() {
		List<Interface> interfaces = new ArrayList<>();
		try {
			for (NetworkInterface network : Collections.list(NetworkInterface.getNetworkInterfaces())) {
				try {
					interfaces.add(new Interface(network.getName(), network.getIndex(), network.isUp(),
							network.isVirtual(), Collections.list(network.getInetAddresses())));
				}
				catch (SocketException ex) {
					// an interface that went away while listing: skip it
				}
			}
		}
		catch (SocketException ex) {
			// no interface could be listed: the caller falls back to loopback
		}
		return interfaces;
	}

}
