package dev.grpcscale.discovery;

/**
 * A discovery backend refused or failed a request (registration, deregistration).
 */
public class DiscoveryException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/** Creates an exception with a message. */
	public DiscoveryException(String message) {
		super(message);
	}

	/** Creates an exception with a message and a cause. */
	public DiscoveryException(String message, Throwable cause) {
		super(message, cause);
	}

}
