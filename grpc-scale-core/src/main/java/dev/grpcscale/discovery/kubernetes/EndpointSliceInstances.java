package dev.grpcscale.discovery.kubernetes;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * Turns the EndpointSlices of one Kubernetes Service into grpc-scale instances.
 * <ul>
 * <li>Port: the slice's port named {@code portName}; a slice without such a port but with exactly one port
 * uses that one (logged once); a slice with several ports and none of that name is skipped with a warning
 * naming its ports.</li>
 * <li>Status: {@code UP} when the endpoint is ready ({@code conditions.ready} true or unset, as Kubernetes
 * defines) and not terminating; otherwise {@code DOWN}, so a terminating endpoint, serving or not, leaves
 * rotation at once.</li>
 * <li>Id: the name of the pod the endpoint points to ({@code targetRef}), else its uid, else the address and
 * port. An endpoint listed by two slices (while Kubernetes moves it) counts once, {@code UP} if either says
 * so.</li>
 * <li>Host: the endpoint's first address (Kubernetes treats them as interchangeable). Metadata:
 * {@code namespace}, and when known {@code zone}, {@code node}, {@code hostname}, {@code pod-uid}.</li>
 * <li>Registration time: when this client first saw the instance, kept while it stays.</li>
 * </ul>
 * Not thread-safe: one per service, called under that service's lock.
 */
final class EndpointSliceInstances {

	private static final Logger logger = LoggerFactory.getLogger(EndpointSliceInstances.class);

	private static final Comparator<ServiceInstance> BY_ID = Comparator.comparing(ServiceInstance::instanceId);

	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

	private final String serviceName;

	private final KubernetesService target;

	private final String portName;

	private final Clock clock;

	private final Map<String, Instant> firstSeen = new HashMap<>();

	/** Slices already warned or told about, each once (until their ports change). */
	private final Set<String> reported = ConcurrentHashMap.newKeySet();

	EndpointSliceInstances(String serviceName, KubernetesService target, String portName, Clock clock) {
		this.serviceName = serviceName;
		this.target = target;
		this.portName = portName;
		this.clock = clock;
	}

	/** Every instance of the slices, sorted by id, with its status. */
	List<ServiceInstance> instances(Collection<EndpointSlice> slices) {
		Map<String, ServiceInstance> byId = new LinkedHashMap<>();
		for (EndpointSlice slice : slices) {
			Integer port = port(slice);
			if (port == null || slice.getEndpoints() == null) {
				continue;
			}
			for (Endpoint endpoint : slice.getEndpoints()) {
				ServiceInstance instance = instance(endpoint, port);
				if (instance != null) {
					byId.merge(instance.instanceId(), instance, (a, b) -> a.isUp() ? a : b);
				}
			}
		}
		this.firstSeen.keySet().retainAll(byId.keySet());
		List<ServiceInstance> all = new ArrayList<>(byId.values());
		all.sort(BY_ID);
		return List.copyOf(all);
	}

	private @Nullable Integer port(EndpointSlice slice) {
		List<EndpointPort> ports = (slice.getPorts() != null) ? slice.getPorts() : List.of();
		List<EndpointPort> tcp = ports.stream()
			.filter((p) -> p.getPort() != null && (p.getProtocol() == null || "TCP".equals(p.getProtocol())))
			.toList();
		String sliceName = (slice.getMetadata() != null) ? slice.getMetadata().getName() : "?";
		for (EndpointPort port : tcp) {
			if (this.portName.equals(port.getName())) {
				return port.getPort();
			}
		}
		String described = tcp.stream().map((p) -> ((p.getName() != null) ? p.getName() : "") + ":" + p.getPort()).toList()
			.toString();
		if (tcp.size() == 1) {
			if (this.reported.add(sliceName + " " + described)) {
				logger.info("EndpointSlice {}/{} of '{}' has no port named '{}': using its only port {}",
						this.target.namespace(), sliceName, this.serviceName, this.portName, described);
			}
			return tcp.get(0).getPort();
		}
		if (this.reported.add(sliceName + " " + described)) {
			logger.warn("Skipping EndpointSlice {}/{} of '{}': no TCP port named '{}' among {} (name the Service's "
					+ "gRPC port '{}', or set the port name grpc-scale looks for)", this.target.namespace(), sliceName,
					this.serviceName, this.portName, described, this.portName);
		}
		return null;
	}

	private @Nullable ServiceInstance instance(Endpoint endpoint, int port) {
		if (endpoint.getAddresses() == null || endpoint.getAddresses().isEmpty()) {
			return null;
		}
		String host = endpoint.getAddresses().get(0);
		if (host == null || host.isBlank()) {
			return null;
		}
		ObjectReference ref = endpoint.getTargetRef();
		String id = (ref != null && ref.getName() != null && NAME.matcher(ref.getName()).matches()) ? ref.getName()
				: (ref != null && ref.getUid() != null && NAME.matcher(ref.getUid()).matches()) ? ref.getUid()
						: host.replace(':', '-').replace('%', '-') + "-" + port;
		Map<String, String> metadata = new LinkedHashMap<>();
		metadata.put("namespace", this.target.namespace());
		putIfSet(metadata, "zone", endpoint.getZone());
		putIfSet(metadata, "node", endpoint.getNodeName());
		putIfSet(metadata, "hostname", endpoint.getHostname());
		putIfSet(metadata, "pod-uid", (ref != null) ? ref.getUid() : null);
		Instant seen = this.firstSeen.computeIfAbsent(id, (key) -> this.clock.instant());
		return new ServiceInstance(this.serviceName, id, host, port, metadata,
				ready(endpoint.getConditions()) ? InstanceStatus.UP : InstanceStatus.DOWN, seen);
	}

	/** Ready and not terminating; an unset {@code ready} means ready, as Kubernetes defines it. */
	static boolean ready(@Nullable EndpointConditions conditions) {
		if (conditions == null) {
			return true;
		}
		return !Boolean.FALSE.equals(conditions.getReady()) && !Boolean.TRUE.equals(conditions.getTerminating());
	}

	private static void putIfSet(Map<String, String> metadata, String key, @Nullable String value) {
		if (value != null && !value.isBlank()) {
			metadata.put(key, value);
		}
	}

}
