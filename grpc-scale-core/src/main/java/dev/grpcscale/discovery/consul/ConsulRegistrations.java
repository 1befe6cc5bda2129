package dev.grpcscale.discovery.consul;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.metrics.LatencyTally;

/**
 * The instances a {@link ConsulServiceRegistry} registered with the agent, and the requests that register,
 * deregister and register them again. Registration, deregistration and re-registration are serialised, so a
 * re-registration by the keep-alive round never brings back an instance that was just deregistered or
 * replaced. Thread-safe.
 */
final class ConsulRegistrations {

	/** Logs under the registry's name, where Consul discovery has always logged. */
	private static final Logger logger = LoggerFactory.getLogger(ConsulServiceRegistry.class);

	private final ConsulAgentRequests requests;

	private final ConsulServiceDefinition definition;

	/** Set by the registry's {@code close()} before it deregisters everything. */
	private final AtomicBoolean closed;

	/** Instances this registry registered, by instance id (the Consul service ID). */
	private final Map<String, ServiceInstance> owned = new ConcurrentHashMap<>();

	/**
	 * Serialises registration, deregistration and re-registration so a background re-registration never
	 * brings back an instance that was just deregistered.
	 */
	private final Object registrationLock = new Object();

	private final LatencyTally registrationTimes = new LatencyTally();

	ConsulRegistrations(ConsulAgentRequests requests, ConsulServiceDefinition definition, AtomicBoolean closed) {
		this.requests = requests;
		this.definition = definition;
		this.closed = closed;
	}

	/**
	 * Registers an instance, or replaces the one with the same id, and keeps it.
	 * @throws IllegalArgumentException if the metadata breaks Consul's {@code Meta} rules, or the id is
	 * already registered here for another service
	 * @throws DiscoveryException if the agent could not be reached or refused the registration; the
	 * instance is then not kept
	 */
	void register(ServiceInstance instance) {
		ConsulServiceDefinition.checkMetadata(instance.metadata());
		synchronized (this.registrationLock) {
			ServiceInstance existing = this.owned.get(instance.instanceId());
			if (existing != null && !existing.serviceName().equals(instance.serviceName())) {
				throw new IllegalArgumentException("instanceId: '" + instance.instanceId()
						+ "' (expected: unique per Consul agent; already registered for service '"
						+ existing.serviceName() + "')");
			}
			long start = System.nanoTime();
			send(instance);
			this.registrationTimes.record(System.nanoTime() - start);
			this.owned.put(instance.instanceId(), instance);
		}
	}

	/**
	 * Deregisters an instance this registry registered; it is no longer kept even when the request fails.
	 * @return {@code false} without contacting the agent when this registry did not register it
	 * @throws DiscoveryException if the agent could not be reached or refused the request
	 */
	boolean deregister(String serviceName, String instanceId) {
		synchronized (this.registrationLock) {
			ServiceInstance existing = this.owned.get(instanceId);
			if (existing == null || !existing.serviceName().equals(serviceName)) {
				return false;
			}
			this.owned.remove(instanceId);
			sendDeregistration(existing);
			return true;
		}
	}

	/**
	 * Registers an instance again that the agent no longer knows, unless it was deregistered or replaced
	 * since, or the registry is closed.
	 * @param reason why, for the log
	 * @return whether it was registered again
	 * @throws DiscoveryException if the agent could not be reached or refused the registration
	 */
	boolean registerAgain(ServiceInstance instance, String reason) {
		synchronized (this.registrationLock) {
			// deregistered or replaced since this round started: nothing to restore
			if (this.closed.get() || this.owned.get(instance.instanceId()) != instance) {
				return false;
			}
			logger.info("Registering {} again with Consul agent at {}: {}", ConsulServiceDefinition.describe(instance),
					this.requests.agentUri(), reason);
			send(instance);
			return true;
		}
	}

	/** Deregisters every instance kept (failures are logged) and forgets them; for the registry's close. */
	void deregisterAll() {
		synchronized (this.registrationLock) {
			for (ServiceInstance instance : List.copyOf(this.owned.values())) {
				try {
					sendDeregistration(instance);
				}
				catch (DiscoveryException ex) {
					logger.warn("Could not deregister {} on close: {}", ConsulServiceDefinition.describe(instance),
							ex.getMessage());
				}
			}
			this.owned.clear();
		}
	}

	/** The instances kept now. */
	List<ServiceInstance> instances() {
		return List.copyOf(this.owned.values());
	}

	boolean isEmpty() {
		return this.owned.isEmpty();
	}

	int size() {
		return this.owned.size();
	}

	/** The agent's answer time to each registration of {@link #register} that succeeded. */
	LatencyTally registrationTimes() {
		return this.registrationTimes;
	}

	private void send(ServiceInstance instance) {
		ObjectNode body = this.definition.body(instance);
		this.requests.call("registration of " + ConsulServiceDefinition.describe(instance), () -> {
			this.requests.agent().register(body);
			return null;
		});
		logger.debug("Registered {} with Consul agent at {}", ConsulServiceDefinition.describe(instance),
				this.requests.agentUri());
	}

	private void sendDeregistration(ServiceInstance instance) {
		// false (404): the agent no longer knows the instance, which is what was asked
		this.requests.call("deregistration of " + ConsulServiceDefinition.describe(instance),
				() -> this.requests.agent().deregister(instance.instanceId()));
		logger.debug("Deregistered {} from Consul agent at {}", ConsulServiceDefinition.describe(instance),
				this.requests.agentUri());
	}

}
