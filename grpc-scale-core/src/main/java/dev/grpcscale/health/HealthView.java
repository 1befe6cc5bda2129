package dev.grpcscale.health;

import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * What the watchers of one service see, at one version: the instances let through (every discovered one in
 * panic mode), the instances marked down by probes (by {@link #key}, so an instance re-registered at another
 * address is not hidden by its old self), and whether the service is in panic mode. Immutable; each change
 * makes the {@link #next} view, numbered one above.
 *
 * @param version numbers the views of one service, from 0 (nothing published yet)
 * @param up the instances watchers see
 * @param down the keys of the instances marked down
 * @param panic whether too few instances pass, so all of them are used
 */
record HealthView(long version, List<ServiceInstance> up, Set<String> down, boolean panic) {

	/** Logs under the discovery's name, where health checks have always been logged. */
	private static final Logger logger = LoggerFactory.getLogger(HealthCheckingServiceDiscovery.class);

	static final HealthView INITIAL = new HealthView(0, List.of(), Set.of(), false);

	/** How an instance is known to the view: its id at its address. */
	static String key(ServiceInstance instance) {
		return instance.instanceId() + '@' + instance.address();
	}

	/**
	 * The view after this one, logging when panic mode starts or ends.
	 * @param serviceName the service, for the log
	 * @param discovered the delegate's current {@code UP} instances
	 * @param down the keys of those marked down
	 * @param options the panic threshold
	 * @return the next view
	 */
	HealthView next(String serviceName, List<ServiceInstance> discovered, Set<String> down,
			HealthCheckOptions options) {
		List<ServiceInstance> passing = discovered.stream().filter((instance) -> !down.contains(key(instance))).toList();
		boolean nextPanic = !down.isEmpty() && options.isPanic(passing.size(), discovered.size());
		if (nextPanic != this.panic) {
			if (nextPanic) {
				logger.warn("Panic mode for '{}': {} of {} instances pass their health checks; using all of them "
						+ "until more pass", serviceName, passing.size(), discovered.size());
			}
			else {
				logger.info("Panic mode for '{}' ended: {} of {} instances pass their health checks", serviceName,
						passing.size(), discovered.size());
			}
		}
		return new HealthView(this.version + 1, nextPanic ? discovered : passing, Set.copyOf(down), nextPanic);
	}

	/** The instances of a list of the delegate's this view lets through. */
	List<ServiceInstance> filter(List<ServiceInstance> instances) {
		if (this.down.isEmpty() || this.panic) {
			return instances;
		}
		return instances.stream().filter((instance) -> !this.down.contains(key(instance))).toList();
	}

	/** A list of the delegate's with the instances marked down reported {@link InstanceStatus#DOWN}. */
	List<ServiceInstance> markDown(List<ServiceInstance> instances) {
		if (this.down.isEmpty()) {
			return instances;
		}
		return instances.stream()
			.map((instance) -> this.down.contains(key(instance)) ? instance.withStatus(InstanceStatus.DOWN) : instance)
			.toList();
	}

}
