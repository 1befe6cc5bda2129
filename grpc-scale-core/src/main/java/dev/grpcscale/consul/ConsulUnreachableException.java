package dev.grpcscale.consul;

/**
 * No answer came from the Consul agent: the connection failed, broke, or the request timed out. Idempotent calls
 * of {@link ConsulClient} are retried before this is thrown.
 */
public class ConsulUnreachableException extends ConsulException {

	private static final long serialVersionUID = 1L;

	/**
	 * A failure without an answer.
	 * @param message what failed and why; never holds the ACL token
	 * @param cause the transport's exception
	 */
	public ConsulUnreachableException(String message, Throwable cause) {
		super(message, cause);
	}

}
