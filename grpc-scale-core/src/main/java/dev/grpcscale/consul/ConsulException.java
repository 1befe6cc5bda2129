package dev.grpcscale.consul;

/**
 * A request to a Consul agent failed: {@link ConsulUnreachableException} when no answer came,
 * {@link ConsulHttpException} when the agent answered with an error status. Messages name the agent's URI and
 * what was asked, never the ACL token.
 */
public class ConsulException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/**
	 * A failure.
	 * @param message what failed; never holds the ACL token
	 * @param cause the cause, or {@code null}
	 */
	public ConsulException(String message, Throwable cause) {
		super(message, cause);
	}

	/**
	 * A failure without a cause.
	 * @param message what failed; never holds the ACL token
	 */
	public ConsulException(String message) {
		super(message);
	}

}
