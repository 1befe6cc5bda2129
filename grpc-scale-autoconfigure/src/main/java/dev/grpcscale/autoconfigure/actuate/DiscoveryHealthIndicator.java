package dev.grpcscale.autoconfigure.actuate;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.ServiceDiscovery;

/**
 * Reports whether the discovery backend is reachable: {@code UP} when it is, {@code DOWN} when it is not
 * (discovery then serves its last known instances), with the backend's details.
 */
public class DiscoveryHealthIndicator extends AbstractHealthIndicator {

	private final ServiceDiscovery discovery;

	/**
	 * Creates the indicator.
	 * @param discovery the discovery to report on
	 */
	public DiscoveryHealthIndicator(ServiceDiscovery discovery) {
		super("Discovery health check failed");
		this.discovery = discovery;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		DiscoveryStatus status = this.discovery.status();
		builder.status(status.reachable() ? org.springframework.boot.health.contributor.Status.UP
				: org.springframework.boot.health.contributor.Status.DOWN);
		builder.withDetail("provider", status.provider());
		builder.withDetails(status.details());
	}

}
