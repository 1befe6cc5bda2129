package dev.grpcscale.autoconfigure.actuate;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.EnhancedServiceStatus;

/**
 * The {@code grpcscale} Actuator endpoint ({@code /actuator/grpcscale} over HTTP when exposed): the
 * {@link EnhancedServiceManager#getEnhancedServiceStatus()} of this application, as JSON.
 */
@Endpoint(id = "grpcscale")
public class GrpcScaleEndpoint {

	private final EnhancedServiceManager manager;

	/**
	 * Creates the endpoint.
	 * @param manager the manager whose status is served
	 */
	public GrpcScaleEndpoint(EnhancedServiceManager manager) {
		this.manager = manager;
	}

	/** The current status. */
	@ReadOperation
	public EnhancedServiceStatus status() {
		return this.manager.getEnhancedServiceStatus();
	}

}
