package dev.grpcscale.discovery.consul;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.metrics.LatencyTally;

/**
 * Keeps a registry's registrations alive with a round on the registry's scheduler: with
 * {@link ConsulCheckType#TTL} checks every TTL/3, passing the check of each {@link ServiceInstance#isUp() up}
 * instance; with {@link ConsulCheckType#GRPC} checks (run by the agent) every check interval, asking the agent
 * whether it still knows each instance. An instance the agent forgot (a TTL pass answered "unknown check", a
 * lookup answered 404, as after an agent restart without its data directory) is registered again. With nothing
 * registered, a round only asks for the agent's status, so reachability stays current. A round stops at the
 * first failure while the agent is unreachable; the next round tries again. Thread-safe.
 */
final class ConsulKeepAlive {

	/** Logs under the registry's name, where Consul discovery has always logged. */
	private static final Logger logger = LoggerFactory.getLogger(ConsulServiceRegistry.class);

	private final ConsulAgentRequests requests;

	private final ConsulRegistrations registrations;

	private final ConsulCheckType checkType;

	private final AtomicBoolean closed;

	private final LatencyTally passTimes = new LatencyTally();

	private final ScheduledFuture<?> rounds;

	/**
	 * Starts the rounds at once, then one {@code checkInterval / 3} (TTL checks) or {@code checkInterval} (gRPC
	 * checks) after the end of the previous one.
	 */
	ConsulKeepAlive(ConsulAgentRequests requests, ConsulRegistrations registrations, ConsulCheckType checkType,
			Duration checkInterval, AtomicBoolean closed, ScheduledExecutorService scheduler) {
		this.requests = requests;
		this.registrations = registrations;
		this.checkType = checkType;
		this.closed = closed;
		Duration period = (checkType == ConsulCheckType.TTL) ? checkInterval.dividedBy(3) : checkInterval;
		this.rounds = scheduler.scheduleWithFixedDelay(this::round, 0, period.toNanos(), TimeUnit.NANOSECONDS);
	}

	/**
	 * Passes the TTL check of an instance that was just registered and is up, so it is discoverable without
	 * waiting for the next round; nothing with gRPC checks. Failures are left to the next round.
	 */
	void registered(ServiceInstance instance) {
		if (this.checkType == ConsulCheckType.TTL && instance.isUp()) {
			passOnce(instance);
		}
	}

	/** The round trip of each TTL pass the agent confirmed; {@code null} with gRPC checks. */
	@Nullable LatencyTally passTimes() {
		return (this.checkType == ConsulCheckType.TTL) ? this.passTimes : null;
	}

	/** Stops the rounds; one running goes on until it sees the registry closed. */
	void stop() {
		this.rounds.cancel(false);
	}

	/** One round; never throws. */
	private void round() {
		try {
			if (this.registrations.isEmpty()) {
				ping();
				return;
			}
			for (ServiceInstance instance : this.registrations.instances()) {
				if (this.closed.get() || Thread.currentThread().isInterrupted()) {
					return;
				}
				try {
					if (this.checkType == ConsulCheckType.GRPC) {
						verify(instance);
					}
					else if (instance.isUp()) {
						pass(instance);
					}
				}
				catch (DiscoveryException ex) {
					if (!this.requests.isReachable()) {
						// logged once by AgentReachability; the next round tries again
						return;
					}
					logger.warn("Keeping {} registered with Consul failed: {}", ConsulServiceDefinition.describe(instance),
							ex.getMessage());
				}
			}
		}
		catch (DiscoveryException ex) {
			logger.debug("Consul status request failed: {}", ex.getMessage());
		}
		catch (RuntimeException ex) {
			logger.warn("Consul keep-alive round failed", ex);
		}
	}

	private void ping() {
		this.requests.call("status request", () -> {
			this.requests.agent().ping();
			return null;
		});
	}

	/** Passes the TTL check; re-registers when the agent does not know it. */
	private void pass(ServiceInstance instance) {
		if (!sendPass(instance)) {
			registerAgain(instance, "its TTL check is unknown to the agent");
		}
	}

	/** Passes the TTL check, timing a pass the agent confirmed; {@code false} when it does not know the check. */
	private boolean sendPass(ServiceInstance instance) {
		long start = System.nanoTime();
		boolean passed = this.requests.call("TTL pass of " + ConsulServiceDefinition.describe(instance),
				() -> this.requests.agent().passTtlCheck(ConsulServiceDefinition.checkId(instance)));
		if (passed) {
			this.passTimes.record(System.nanoTime() - start);
		}
		return passed;
	}

	/** A pass right after a registration; failures are left to the next round. */
	private void passOnce(ServiceInstance instance) {
		try {
			if (!sendPass(instance)) {
				logger.debug("First TTL pass of {}: the agent does not know the check",
						ConsulServiceDefinition.describe(instance));
			}
		}
		catch (DiscoveryException ex) {
			logger.debug("First TTL pass of {} failed: {}", ConsulServiceDefinition.describe(instance), ex.getMessage());
		}
	}

	/** Checks that the agent still knows a gRPC-checked instance; re-registers it when not. */
	private void verify(ServiceInstance instance) {
		if (!this.requests.call("check of " + ConsulServiceDefinition.describe(instance),
				() -> this.requests.agent().hasService(instance.instanceId()))) {
			registerAgain(instance, "the agent does not know it");
		}
	}

	private void registerAgain(ServiceInstance instance, String reason) {
		if (this.registrations.registerAgain(instance, reason) && this.checkType == ConsulCheckType.TTL) {
			passOnce(instance);
		}
	}

}
