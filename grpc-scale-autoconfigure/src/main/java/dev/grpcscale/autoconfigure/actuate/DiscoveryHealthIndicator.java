package dev.grpcscale.autoconfigure.actuate;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.ServiceDiscovery;

/**
 * Reports whether the discovery backend is reachable, with the backend's details: {@code UP} when it is.
 * When it is not, discovery keeps serving its last known instances, and the indicator reports
 * {@code UNKNOWN}, which leaves the application's overall health (and so, through Spring Boot's
 * mapping, its gRPC health) as it is: a registry outage must not take every instance out of rotation at
 * once. With {@code downWhenUnreachable} ({@code grpc.scale.health-check.serving-requires-discovery}) it
 * reports {@code DOWN} instead, and Boot turns gRPC health {@code NOT_SERVING}.
 */
public class DiscoveryHealthIndicator extends AbstractHealthIndicator {

	private final ServiceDiscovery discovery;

	private final boolean downWhenUnreachable;

	/**
	 * Creates the indicator.
	 * @param discovery the discovery to report on
	 * @param downWhenUnreachable whether an unreachable backend is {@code DOWN} rather than {@code UNKNOWN}
	 */
	public DiscoveryHealthIndicator(ServiceDiscovery discovery, boolean downWhenUnreachable) {
		super("Discovery health check failed");
		this.discovery = discovery;
		this.downWhenUnreachable = downWhenUnreachable;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		DiscoveryStatus status = this.discovery.status();
		builder.status(status.reachable() ? Status.UP : this.downWhenUnreachable ? Status.DOWN : Status.UNKNOWN);
		builder.withDetail("reachable", status.reachable());
		builder.withDetail("provider", status.provider());
		builder.withDetails(status.details());
	}

}
