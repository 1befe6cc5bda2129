package dev.grpcscale.health;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;

/**
 * The {@link HealthCheckListener}s of one {@link HealthCheckingServiceDiscovery}: each is told every probe and
 * status change, in the order added; one that throws is logged and never keeps the others or the prober from
 * going on. Thread-safe.
 */
final class HealthCheckListeners {

	/** Logs under the discovery's name, where health checks have always been logged. */
	private static final Logger logger = LoggerFactory.getLogger(HealthCheckingServiceDiscovery.class);

	private final List<HealthCheckListener> listeners = new CopyOnWriteArrayList<>();

	/**
	 * Adds a listener.
	 * @param listener the listener
	 * @return a handle that removes it
	 */
	Subscription add(HealthCheckListener listener) {
		Objects.requireNonNull(listener, "listener");
		this.listeners.add(listener);
		return () -> this.listeners.remove(listener);
	}

	/** Tells every listener the end of a probe. */
	void checked(InstanceHealth health) {
		for (HealthCheckListener listener : this.listeners) {
			try {
				listener.onCheck(health);
			}
			catch (RuntimeException ex) {
				logger.warn("Health-check listener failed on a check of {} instance {}", health.serviceName(),
						health.instanceId(), ex);
			}
		}
	}

	/** Tells every listener that an instance was marked down or back up. */
	void statusChanged(InstanceHealth health) {
		for (HealthCheckListener listener : this.listeners) {
			try {
				listener.onStatusChange(health);
			}
			catch (RuntimeException ex) {
				logger.warn("Health-check listener failed on a status change of {} instance {}",
						health.serviceName(), health.instanceId(), ex);
			}
		}
	}

}
