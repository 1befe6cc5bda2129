package dev.grpcscale.discovery.consul;

import java.net.URI;
import java.util.function.Supplier;

import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.consul.ConsulException;
import dev.grpcscale.consul.ConsulHttpException;
import dev.grpcscale.consul.ConsulUnreachableException;
import dev.grpcscale.discovery.DiscoveryException;

/**
 * Sends the registry's blocking agent calls (registration, deregistration, TTL passes, service lookups, the
 * status request) through the {@link ConsulClient}, records in {@link AgentReachability} whether the agent
 * answered, and turns the client's failures into {@link DiscoveryException}s that name the agent and what
 * was attempted. Thread-safe.
 */
final class ConsulAgentRequests {

	private final ConsulClient client;

	private final AgentReachability reachability;

	ConsulAgentRequests(ConsulClient client, AgentReachability reachability) {
		this.client = client;
		this.reachability = reachability;
	}

	/** The agent's sub-client. */
	ConsulClient.Agent agent() {
		return this.client.agent();
	}

	/** The agent's base URI, for messages; holds no credentials. */
	URI agentUri() {
		return this.client.agentUri();
	}

	/** Whether the agent answered the last request any part of the registry made. */
	boolean isReachable() {
		return this.reachability.isReachable();
	}

	/**
	 * Sends a request that must be answered, recording reachability.
	 * @param what what is attempted, for messages
	 * @param request the request, waiting for its answer
	 * @throws DiscoveryException if the agent could not be reached, answered with a server error or refused
	 * the request
	 */
	<T> T call(String what, Supplier<T> request) {
		T result;
		try {
			result = request.get();
		}
		catch (ConsulUnreachableException ex) {
			String error = AgentReachability.describe(ex.getCause() instanceof Exception cause ? cause : ex);
			this.reachability.failed(what, error);
			throw new DiscoveryException("Could not reach Consul agent at " + agentUri() + " for the " + what + ": "
					+ error, ex);
		}
		catch (ConsulHttpException ex) {
			String error = "HTTP " + ex.status() + " " + ex.body();
			if (ex.isServerError()) {
				this.reachability.failed(what, error);
				throw new DiscoveryException("Consul agent at " + agentUri() + " failed the " + what + ": " + error,
						ex);
			}
			this.reachability.answered();
			throw new DiscoveryException("Consul agent at " + agentUri() + " refused the " + what + ": " + error, ex);
		}
		catch (ConsulException ex) {
			throw new DiscoveryException("The " + what + " failed: " + ex.getMessage(), ex);
		}
		this.reachability.answered();
		return result;
	}

}
